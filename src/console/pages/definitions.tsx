import type { Config } from '../../config.ts';
import { metricDefinitions, REFERENCE_NOTE } from '../../core/metrics.ts';

/** One row per metric definition (core/metrics.ts): the 口径说明 below and the printable 机制说明 page's 指标定义. */
export function DefinitionRows(props: { config: Config }) {
  const { config } = props;
  return (
    <>
      {metricDefinitions(config.survey.satisfiedMin, config.categories).map((d) => (
        <tr>
          <th scope="row">{d.name}</th>
          <td>{d.formula}</td>
        </tr>
      ))}
    </>
  );
}

/** The 口径说明 under every page with figures: the same text as the ledger's 说明 and the mechanism description. */
export function Definitions(props: { config: Config }) {
  const { config } = props;
  return (
    <details class="card">
      <summary>口径说明</summary>
      <table class="kv">
        <tbody>
          <DefinitionRows config={config} />
          <tr>
            <th scope="row">参考值</th>
            <td>{REFERENCE_NOTE}</td>
          </tr>
        </tbody>
      </table>
    </details>
  );
}
