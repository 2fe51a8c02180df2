import { MAX_STORY_TEXT, STORY_SECTIONS, type StoryEntry } from '../../core/story.ts';

/**
 * On the ticket page: the major complaint's story (事件经过 … 整改措施) as the case report prints it, and the form that
 * writes one section (POST /console/tickets/<code>/story with the CSRF token and the ticket version, like every
 * action form). Each save is an event in the ticket's hash chain; the latest one of a section is its text.
 */
export function StoryPanel(props: { code: string; csrf: string; version: number; story: StoryEntry[]; isMajor: boolean; timeFormat: (d: Date) => string }) {
  const filled = props.story.filter((s) => s.text !== null).length;
  const body = (
    <>
      <p class="small muted">
        重大投诉报告在时间线之前打印这六部分（每部分取最后一次填写的内容，未填写的注明“未填写”）。每次保存都记入防篡改事件日志，并写明填写人；修改时再次保存即可，历次内容保留在时间线中。
      </p>
      <table class="kv">
        <tbody>
          {props.story.map((s) => (
            <tr>
              <th scope="row">{s.label}</th>
              <td style="white-space:pre-wrap">
                {s.text ?? <span class="muted">未填写</span>}
                {s.text && s.at ? (
                  <div class="small muted">{`${s.by ?? ''} 填写于 ${props.timeFormat(s.at)}${s.versions > 1 ? `（第 ${s.versions} 版）` : ''}`}</div>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="post" action={`/console/tickets/${props.code}/story`} class="story-form noprint">
        <input type="hidden" name="csrf" value={props.csrf} />
        <input type="hidden" name="version" value={String(props.version)} />
        <label for="story-section">栏目</label>
        <select id="story-section" name="section" required>
          {STORY_SECTIONS.map((s) => (
            <option value={s.id}>{s.label}</option>
          ))}
        </select>
        <label for="story-text">内容（同一栏目再次保存即为修改）</label>
        <textarea id="story-text" name="text" rows={4} maxlength={MAX_STORY_TEXT} required />
        <button type="submit">保存到处理记录</button>
      </form>
    </>
  );
  return (
    <section class="card" aria-labelledby="h-story">
      <h2 id="h-story" style="margin-top:0">
        处理经过与结果（{filled}/{props.story.length} 已填写）
      </h2>
      {/* An ordinary ticket keeps it folded; a major complaint shows it open. */}
      {props.isMajor ? (
        body
      ) : (
        <details>
          <summary>展开填写（重大投诉必填，其他工单可选）</summary>
          {body}
        </details>
      )}
    </section>
  );
}
