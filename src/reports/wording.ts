/**
 * Words for reviewer-facing files (ledger, audit pack, mechanism description, case report): Chinese only, no
 * configuration values or developer words. Config values (priority ids, time-zone names) are translated here.
 */

export const PRIORITY_LABELS: Record<string, string> = { low: '低', normal: '普通', high: '高', urgent: '紧急' };

const ZONES: Record<string, string> = { 'Asia/Shanghai': '北京时间', 'Asia/Hong_Kong': '香港时间', 'Asia/Taipei': '台北时间', 'Asia/Singapore': '新加坡时间' };

/** 'Asia/Shanghai' → '北京时间'; another zone keeps its name (a reviewer abroad can still read it). */
export function zoneLabel(timeZone: string): string {
  return ZONES[timeZone] ?? `时区 ${timeZone}`;
}

/**
 * 'cn-chinese-days-1.5.7+f16590b4' → '节假日数据 1.5.7 版，校验码 f16590b4': the holiday data's release and the
 * fingerprint of the whole calendar (config included), which every ticket stores.
 */
export function calendarVersionLabel(version: string): string {
  const release = /(\d+\.\d+(?:\.\d+)?)/.exec(version.split('+')[0])?.[1];
  const mark = version.split('+').pop();
  return `节假日数据${release ? ` ${release} 版` : ''}${mark && mark !== version ? `，校验码 ${mark}` : ''}`;
}

/** A person without a name in the config or account: never their platform id (ou_…, staff…) in a reviewer's file. */
export const NAME_MISSING = '姓名未登记';
