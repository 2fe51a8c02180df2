#!/usr/bin/env node
// The CLI is TypeScript run through tsx (a runtime dependency), so `npx loopdesk` works without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
