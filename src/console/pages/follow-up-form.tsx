import { CALL_THE_CUSTOMER } from '../../core/contact.ts';

/**
 * On the ticket page: 「请电话联系客户」 when no e-mail or SMS reached the customer, and the 电话回访 form (score, the
 * customer's words, when) while the survey is open. Its own file: the ticket page belongs to the workspace too.
 */
export function FollowUpPanel(props: { code: string; csrf: string; open: boolean; callCustomer: boolean; notice?: string }) {
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
    </section>
  );
}
