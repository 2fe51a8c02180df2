import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, configFromEnv, configSchema, parseConfig, parseEnv } from '../../src/config.ts';

/** Issue 17, defect 11: settings a newcomer gets wrong are refused at once, by name; the README's examples parse. */
describe('environment a newcomer gets wrong', () => {
  it.each([
    [{ FEISHU_DOMAIN: 'foo' }, 'FEISHU_DOMAIN'],
    [{ FEISHU_DOMAIN: 'open.feishu.cn' }, 'FEISHU_DOMAIN'],
    [{ DATABASE_URL: 'mysql://root@localhost/loopdesk' }, 'DATABASE_URL must be a PostgreSQL URL'],
    [{ DATABASE_URL: 'sqlite:///tmp/x.db' }, 'DATABASE_URL must be a PostgreSQL URL'],
  ])('%o is refused naming the setting', (raw, message) => {
    expect(() => parseEnv(raw)).toThrow(ConfigError);
    expect(() => parseEnv(raw)).toThrow(message);
  });

  it.each([
    { FEISHU_DOMAIN: 'lark' },
    { FEISHU_DOMAIN: 'feishu' },
    { FEISHU_DOMAIN: 'http://127.0.0.1:9999' },
    { DATABASE_URL: 'postgresql://u:p@db:5432/x' },
    { DATABASE_URL: 'postgres://u@db/x' },
  ])('%o is accepted', (raw) => {
    expect(() => parseEnv(raw)).not.toThrow();
  });

  it('LOOPDESK_CONFIG_JSON works on Node as on Workers; both settings at once is refused', () => {
    const env = parseEnv({ LOOPDESK_CONFIG_JSON: JSON.stringify({ company: { name: '临港测试公司' } }) });
    expect(configFromEnv(env).company.name).toBe('临港测试公司');
    expect(() => configFromEnv(parseEnv({ LOOPDESK_CONFIG_JSON: '{oops' }))).toThrow('LOOPDESK_CONFIG_JSON is not valid JSON');
    expect(() => configFromEnv(parseEnv({ LOOPDESK_CONFIG_JSON: '{}', LOOPDESK_CONFIG: '/tmp/x.json' }))).toThrow('not both');
  });
});

describe('README', () => {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)\n```/g)].map((m) => ({ text: m[1], line: readme.slice(0, m.index).split('\n').length + 1 }));
  const configKeys = new Set(Object.keys(configSchema.shape));

  it('has JSON examples', () => {
    expect(blocks.length).toBeGreaterThan(3);
  });

  it.each(blocks.map((b) => [b.line, b.text] as const))('the JSON block at line %i parses as printed (and as a config when it is one)', (_line, text) => {
    const value = JSON.parse(text);
    const keys = value && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
    if (keys.length && keys.every((k) => configKeys.has(k))) expect(() => parseConfig(value, 'README')).not.toThrow();
  });
});
