import protobuf from 'protobufjs/minimal.js';

/** pbbp2.Frame, as the SDK's WSClient speaks it (feishu.md §7; field numbers from the SDK). */
export interface Frame {
  SeqID: number;
  LogID: number;
  service: number;
  method: number;
  headers: Array<{ key: string; value: string }>;
  payloadEncoding?: string;
  payloadType?: string;
  payload?: Uint8Array;
  LogIDNew?: string;
}

export function encodeFrame(f: Frame): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32(8).uint64(f.SeqID);
  w.uint32(16).uint64(f.LogID);
  w.uint32(24).int32(f.service);
  w.uint32(32).int32(f.method);
  for (const h of f.headers) {
    w.uint32(42).fork();
    w.uint32(10).string(h.key);
    w.uint32(18).string(h.value);
    w.ldelim();
  }
  if (f.payloadEncoding) w.uint32(50).string(f.payloadEncoding);
  if (f.payloadType) w.uint32(58).string(f.payloadType);
  if (f.payload) w.uint32(66).bytes(f.payload);
  if (f.LogIDNew) w.uint32(74).string(f.LogIDNew);
  return w.finish();
}

export function decodeFrame(buf: Uint8Array): Frame {
  const r = protobuf.Reader.create(buf);
  const f: Frame = { SeqID: 0, LogID: 0, service: 0, method: 0, headers: [] };
  while (r.pos < r.len) {
    const t = r.uint32();
    switch (t >>> 3) {
      case 1:
        f.SeqID = Number(r.uint64());
        break;
      case 2:
        f.LogID = Number(r.uint64());
        break;
      case 3:
        f.service = r.int32();
        break;
      case 4:
        f.method = r.int32();
        break;
      case 5: {
        const end = r.uint32() + r.pos;
        const h = { key: '', value: '' };
        while (r.pos < end) {
          const tt = r.uint32();
          if (tt >>> 3 === 1) h.key = r.string();
          else if (tt >>> 3 === 2) h.value = r.string();
          else r.skipType(tt & 7);
        }
        f.headers.push(h);
        break;
      }
      case 6:
        f.payloadEncoding = r.string();
        break;
      case 7:
        f.payloadType = r.string();
        break;
      case 8:
        f.payload = r.bytes();
        break;
      case 9:
        f.LogIDNew = r.string();
        break;
      default:
        r.skipType(t & 7);
    }
  }
  return f;
}

export const headerOf = (f: Frame, key: string) => f.headers.find((h) => h.key === key)?.value;
