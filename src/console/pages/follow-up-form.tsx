import { CALL_THE_CUSTOMER } from '../../core/contact.ts';
import { FOLLOW_UP_MEANS, FOLLOW_UP_RESULTS } from '../../core/ticket.ts';
import { timeFormat } from './common.tsx';

/** The follow-up task of a ticket whose survey went unanswered: who must call, since when, attempts so far. */
export interface FollowUpTask {
  since: Date;
  person: string | null;
  attempts: number;
  max: number;
}

/**
 * On the ticket page: 「请电话联系客户」 when no e-mail or SMS reached the customer, and the 电话回访 form (score, the
 * customer's words, when) while the survey is open. Its own file: the ticket page belongs to the workspace too.
 */
export function FollowUpPanel(props: {
  code: string;
  csrf: string;
  open: boolean;
  callCustomer: boolean;
  notice?: string;
  task?: FollowUpTask;
  version?: number;
  timeZone?: string;
}) {
  if (!props.open && !props.callCustomer && !props.notice) return null;
  return (
    <section class="card" aria-labelledby="h-followup">
      <h2 id="h-followup" style="margin-top:0">
        电话回访
      </h2>
      {props.notice ? (
        <p class="ok" role="status">
          {props.notice}
        </p>
      ) : null}
      {props.callCustomer ? (
        <p class="bad" role="alert">
          📞 {CALL_THE_CUSTOMER}：邮件或短信无法送达该客户，回复与满意度回访需由处理人电话完成，并在此录入。
        </p>
      ) : null}
      {props.task ? (
        <p role="status">
          <b>待电话回访</b>：客户未评价满意度回访，自 {timeFormat(props.timeZone ?? 'Asia/Shanghai').full(props.task.since)} 起由{' '}
          <b>{props.task.person ?? '负责人指派的人员'}</b> 电话回访；已尝试 {props.task.attempts} / {props.task.max}{' '}
          次。接通后在下方录入客户评价；未接通请登记本次尝试，
          {props.task.max} 次未果后工单按「未评价（已回访 {props.task.max} 次未果）」归档，不计为满意。
        </p>
      ) : null}
      {props.open ? (
        <form method="post" action={`/console/tickets/${props.code}/follow-up`}>
          <input type="hidden" name="csrf" value={props.csrf} />
          <fieldset>
            <legend>客户评分（5 分最满意；1–3 分将重开工单）</legend>
            {[5, 4, 3, 2, 1].map((n) => (
              <label style="margin-right:1em">
                <input type="radio" name="score" value={String(n)} required /> {n} 分
              </label>
            ))}
          </fieldset>
          <p>
            <label>
              客户原话
              <br />
              <textarea name="comment" rows={3} cols={60} maxlength={1000} />
            </label>
          </p>
          <p>
            <label>
              回访时间（北京时间，不填为现在） <input type="datetime-local" name="calledAt" />
            </label>
          </p>
          <p>
            <button type="submit">录入回访结果</button>
          </p>
        </form>
      ) : null}
      {props.task ? (
        <form method="post" action={`/console/tickets/${props.code}/follow-up-attempt`}>
          <input type="hidden" name="csrf" value={props.csrf} />
          <input type="hidden" name="version" value={String(props.version ?? '')} />
          <h3>登记回访未果（第 {props.task.attempts + 1} 次）</h3>
          <p>
            <label>
              方式{' '}
              <select name="means" required>
                {FOLLOW_UP_MEANS.map((m) => (
                  <option value={m}>{m}</option>
                ))}
              </select>
            </label>{' '}
            <label>
              结果{' '}
              <select name="result" required>
                {FOLLOW_UP_RESULTS.map((r) => (
                  <option value={r}>{r}</option>
                ))}
              </select>
            </label>
          </p>
          <p>
            <label>
              备注
              <br />
              <textarea name="note" rows={2} cols={60} maxlength={500} />
            </label>
          </p>
          <p>
            <label>
              尝试时间（北京时间，不填为现在） <input type="datetime-local" name="at" />
            </label>
          </p>
          <p>
            <button type="submit">登记回访未果</button>
          </p>
        </form>
      ) : null}
    </section>
  );
}
