import type { ReadinessItem } from '../../core/readiness.ts';
import { readinessSummary } from '../../core/readiness.ts';

const LABEL: Record<ReadinessItem['status'], string> = { pass: '✅ 通过', warn: '⚠️ 注意', fail: '❌ 未通过' };

/** 预审自检: the same lines as `npx loopdesk readiness` and `/readiness`, as a table. */
export function ReadinessPage(props: { items: ReadinessItem[]; generatedAt: string }) {
  return (
    <section>
      <h1>预审自检</h1>
      <p>
        {readinessSummary(props.items)}（{props.generatedAt}，北京时间）。逐项对照审核要点与常见驳回原因；未能检查的项目不会显示为通过。命令行：
        <code>npx loopdesk readiness</code>，客服群：<code>/readiness</code>。
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">结果</th>
            <th scope="col">检查项</th>
            <th scope="col">情况</th>
            <th scope="col">如何修复</th>
          </tr>
        </thead>
        <tbody>
          {props.items.map((i) => (
            <tr data-status={i.status}>
              <td>{LABEL[i.status]}</td>
              <td>{i.label}</td>
              <td>{i.detail}</td>
              <td>{i.fix || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
