/**
 * The ticket page's actions: the card's buttons as forms (desk/action-table.ts names them). Every form posts to
 * /console/tickets/<code>/act with the CSRF token and the ticket version it was drawn from, so a stale tab or a second
 * submit is refused with the reason instead of acting twice.
 */
import { MAX_TEXT } from '../../desk/act.ts';
import { TICKET_ACTIONS, type TicketActionName } from '../../desk/action-table.ts';
import { TICKET_CODE_HTML_PATTERN } from '../../core/ticket-code.ts';

export interface TicketActionsProps {
  code: string;
  csrf: string;
  version: number;
  /** What this viewer may do on this ticket now (action table ∩ the ticket's state ∩ the viewer's role). */
  allowed: TicketActionName[];
  isMajor: boolean;
  assignee: string | null;
  isMine: boolean;
  categories: Array<{ id: string; name: string }>;
  category: string;
  canned: Array<{ id: string; title: string }>;
  duplicates: Array<{ code: string; subject: string }>;
  mergedInto: string | null;
}

function ActionForm(props: { p: TicketActionsProps; action: TicketActionName; children?: unknown; label?: string; secondary?: boolean }) {
  const { p } = props;
  return (
    <form method="post" action={`/console/tickets/${p.code}/act`} class="act" data-action={props.action}>
      <input type="hidden" name="csrf" value={p.csrf} />
      <input type="hidden" name="version" value={String(p.version)} />
      <input type="hidden" name="action" value={props.action} />
      {props.children as never}
      <button type="submit" class={props.secondary ? 'btn secondary' : undefined}>
        {props.label ?? TICKET_ACTIONS[props.action].label}
      </button>
    </form>
  );
}

export function TicketActions(props: TicketActionsProps) {
  const p = props;
  const has = (a: TicketActionName) => p.allowed.includes(a);
  if (p.allowed.length === 0) return <p class="muted">此工单当前没有可执行的操作（已解决等待回访，或已关闭）。</p>;
  return (
    <div class="workspace">
      <p class="small muted">
        处理人：{p.assignee ?? '未认领'}
        {p.isMine ? '（你）' : ''} · 版本 {p.version}。在此处的操作与飞书 / 钉钉卡片上的按钮相同，卡片会随之更新。
      </p>
      {has('claim') ? <ActionForm p={p} action="claim" /> : null}
      {has('respond') ? (
        <ActionForm p={p} action="respond">
          <label for="reply">回复客户（将发送给客户）</label>
          <textarea id="reply" name="reply" rows={4} maxlength={MAX_TEXT} placeholder="输入回复内容；或选择下面的快捷回复" />
          {p.canned.length ? (
            <>
              <label for="canned">快捷回复（回复内容为空时使用）</label>
              <select id="canned" name="canned">
                <option value="">（不使用）</option>
                {p.canned.map((c) => (
                  <option value={c.id}>{c.title}</option>
                ))}
              </select>
            </>
          ) : null}
          <label class="check">
            <input type="checkbox" name="waitForCustomer" value="yes" /> 等待客户回复（暂停计时）
          </label>
        </ActionForm>
      ) : null}
      {has('resolve') ? (
        <ActionForm p={p} action="resolve">
          <label for="resolution">处理结果（选填，将发送给客户，随后发送满意度回访）</label>
          <textarea id="resolution" name="reply" rows={3} maxlength={MAX_TEXT} />
        </ActionForm>
      ) : null}
      {has('note') ? (
        <ActionForm p={p} action="note" secondary>
          <label for="note">内部备注（仅团队可见）</label>
          <textarea id="note" name="reply" rows={2} maxlength={MAX_TEXT} />
        </ActionForm>
      ) : null}
      <div class="grid">
        {has('reclassify') ? (
          <ActionForm p={p} action="reclassify" secondary>
            <label for="category">分类</label>
            <select id="category" name="category">
              {p.categories.map((c) => (
                <option value={c.id} selected={c.id === p.category}>
                  {c.name}
                </option>
              ))}
            </select>
          </ActionForm>
        ) : null}
        {has('escalate') ? (
          <ActionForm p={p} action="escalate" secondary>
            <label for="escalate-reason">升级原因（选填）</label>
            <input id="escalate-reason" name="reply" maxlength={500} />
          </ActionForm>
        ) : null}
        {has('major') ? (
          <ActionForm p={p} action="major" label={p.isMajor ? '取消重大投诉标记' : '标记为重大投诉'} secondary>
            <input type="hidden" name="major" value={p.isMajor ? '0' : '1'} />
            <label for="major-reason">原因（选填）</label>
            <input id="major-reason" name="reply" maxlength={500} />
          </ActionForm>
        ) : null}
        {has('merge') ? (
          <ActionForm p={p} action="merge" secondary>
            <label for="into">合并到工单（同一问题，客户会收到通知）</label>
            <input id="into" name="into" list="dups" placeholder="FB-20260302-0001" pattern={TICKET_CODE_HTML_PATTERN} required />
            <datalist id="dups">
              {p.duplicates.map((d) => (
                <option value={d.code}>{d.subject}</option>
              ))}
            </datalist>
          </ActionForm>
        ) : null}
      </div>
      {has('unmerge') ? <ActionForm p={p} action="unmerge" label={`撤销合并（当前合并到 ${p.mergedInto ?? '?'}）`} secondary /> : null}
    </div>
  );
}
