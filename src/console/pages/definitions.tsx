import type { Config } from '../../config.ts';
import { metricDefinitions, REFERENCE_NOTE } from '../../core/metrics.ts';

/** The 口径说明 under every page with figures: the same text as the ledger's 说明 and the mechanism description. */
export function Definitions(props: { config: Config }) {
  const { config } = props;
  return (
    <details class="card">
      <summary>口径说明</summary>
      <table class="kv">
        <tbody>
          {metricDefinitions(config.survey.satisfiedMin, config.categories).map((d) => (
            <tr>
              <th scope="row">{d.name}</th>
              <td>{d.formula}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">参考值</th>
            <td>{REFERENCE_NOTE}</td>
          </tr>
        </tbody>
      </table>
    </details>
  );
}
