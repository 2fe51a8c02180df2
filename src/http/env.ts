import type { Services } from '../services.ts';
import type { Logger } from '../log.ts';

/** Hono's typed env: the services ride on the context, so tests hand the app their own. */
export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
    log: Logger;
  };
}
