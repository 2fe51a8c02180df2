/**
 * postinstall: prepares the embedded database's template (src/db/pglite-template.ts) so that the first `npm start`
 * loads it instead of running initdb. Never fails the install: without a template a first start is slower, not wrong.
 */
import { buildTemplate, templatePath } from '../src/db/pglite-template.ts';
import { migrationsFolder } from '../src/db/node.ts';

if (process.env.DATABASE_URL) {
  console.log('loopdesk: DATABASE_URL is set, no embedded-database template needed');
} else {
  const t0 = performance.now();
  try {
    const path = await buildTemplate(migrationsFolder);
    console.log(`loopdesk: embedded-database template ready in ${((performance.now() - t0) / 1000).toFixed(1)} s (${path})`);
  } catch (e) {
    console.warn(
      `loopdesk: could not prepare the embedded-database template (${templatePath()}): ${e instanceof Error ? e.message : String(e)}; the first start will initialise the database itself`,
    );
  }
}
