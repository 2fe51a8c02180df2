import { RECORDED_CHANNELS, RECORDED_CHANNEL_LABELS } from '../../core/contact.ts';

export interface NewTicketValues {
  channel?: string;
  name?: string;
  contact?: string;
  category?: string;
  text?: string;
}

/** 新建工单: a phone call, visit or letter typed in on the customer's behalf (same intake as every channel). */
export function NewTicketPage(props: {
  csrf: string;
  submissionId: string;
  categories: Array<{ id: string; name: string }>;
  values?: NewTicketValues;
  error?: string;
  maxLength: number;
}) {
  const v = props.values ?? {};
  return (
    <div class="card">
      <h1>新建工单</h1>
      <p class="sub">
        登记客户通过电话、来访或信函反映的问题。工单与其他渠道相同：承诺时限、计时、分类、台账；客户留了手机号或邮箱时，回执、回复和满意度回访会通过短信或邮件发给客户，否则请电话联系客户。
      </p>
      {props.error ? (
        <p class="bad" role="alert">
          {props.error}
        </p>
      ) : null}
      <form method="post" action="/console/new-ticket">
        <input type="hidden" name="csrf" value={props.csrf} />
        <input type="hidden" name="submissionId" value={props.submissionId} />
        <fieldset>
          <legend>渠道</legend>
          {RECORDED_CHANNELS.map((c) => (
            <label style="margin-right:1em">
              <input type="radio" name="channel" value={c} checked={(v.channel ?? 'phone') === c} required /> {RECORDED_CHANNEL_LABELS[c]}
            </label>
          ))}
        </fieldset>
        <p>
          <label>
            客户称呼 <input name="name" value={v.name ?? ''} maxlength={50} required />
          </label>
        </p>
        <p>
          <label>
            手机号或邮箱 <input name="contact" value={v.contact ?? ''} maxlength={100} required placeholder="13800138000 或 name@example.com" />
          </label>
        </p>
        <p>
          <label>
            分类{' '}
            <select name="category">
              <option value="">自动分类</option>
              {props.categories.map((c) => (
                <option value={c.id} selected={v.category === c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        </p>
        <p>
          <label>
            客户反映的内容
            <br />
            <textarea name="text" rows={6} cols={60} maxlength={props.maxLength} required>
              {v.text ?? ''}
            </textarea>
          </label>
        </p>
        <p>
          <button type="submit">登记工单</button>
        </p>
      </form>
    </div>
  );
}
