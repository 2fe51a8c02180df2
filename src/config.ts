import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Environment: parsed once at startup; every name is part of the public contract (DESIGN.md). */
/** The review asks for 6 months of records: personal data of closed tickets may not be erased sooner. */
export const MIN_RETENTION_MONTHS = 6;
export const DEFAULT_PRIVACY_NOTICE =
  '我们仅为处理您本次反馈收集您的联系方式和反馈内容，用于受理、回复和满意度回访；记录按规定保存，保存期满后删除您的个人信息。您可随时申请查阅、复制或删除您的个人信息（联系客服即可）。';
const privacySchema = z
  .object({
    /** Months after a ticket closes before its personal data is erased (default 36, at least 6). */
    retentionMonths: z
      .number()
      .int()
      .min(MIN_RETENTION_MONTHS, `privacy.retentionMonths 不得少于 ${MIN_RETENTION_MONTHS} 个月（审核要求保留 6 个月记录）`)
      .default(36),
    /** The scheduled erasure run (daily at 03:30 company time); false = only `customer erase` and dry runs. */
    retentionEnabled: z.boolean().default(true),
    notice: z.string().min(1).default(DEFAULT_PRIVACY_NOTICE),
  })
  .default({ retentionMonths: 36, retentionEnabled: true, notice: DEFAULT_PRIVACY_NOTICE });

export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .url()
    .refine(
      (v) => /^postgres(ql)?:\/\//i.test(v),
      'DATABASE_URL must be a PostgreSQL URL (postgres://user:pass@host:5432/db); unset it to use the embedded database',
    )
    .optional(),
  DATA_DIR: z.string().default('./data'),
  LOOPDESK_CONFIG: z.string().optional(),
  /** The JSON config itself instead of a file (as on Workers); set one of LOOPDESK_CONFIG and LOOPDESK_CONFIG_JSON. */
  LOOPDESK_CONFIG_JSON: z.string().optional(),
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  PUBLIC_BASE_URL: z.string().url().default('http://localhost:3000'),
  /** Signs web-console session cookies; unset = a key derived from ADMIN_TOKEN (rotating either signs everyone out). */
  SESSION_SECRET: z.string().min(32, 'SESSION_SECRET must be at least 32 characters').optional(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  FEISHU_APP_ID: z.string().optional(),
  FEISHU_APP_SECRET: z.string().optional(),
  FEISHU_VERIFICATION_TOKEN: z.string().optional(),
  FEISHU_ENCRYPT_KEY: z.string().optional(),
  FEISHU_DOMAIN: z
    .string()
    .refine(
      (v) => v === 'feishu' || v === 'lark' || /^https?:\/\/[^\s/]+/i.test(v),
      'FEISHU_DOMAIN must be "feishu", "lark" or a base URL such as https://open.feishu.cn',
    )
    .default('feishu'),
  FEISHU_EVENT_MODE: z.enum(['ws', 'webhook']).default('ws'),
  FEISHU_AGENT_CHAT_ID: z.string().optional(),
  /** Feishu Helpdesk (服务台): its id and token (helpdesk admin → API); the channel runs when both are set. */
  FEISHU_HELPDESK_ID: z.string().optional(),
  FEISHU_HELPDESK_TOKEN: z.string().optional(),
  DINGTALK_CLIENT_ID: z.string().optional(),
  DINGTALK_CLIENT_SECRET: z.string().optional(),
  DINGTALK_ROBOT_CODE: z.string().optional(),
  DINGTALK_AGENT_CONVERSATION_ID: z.string().optional(),
  DINGTALK_CARD_TEMPLATE_ID: z.string().optional(),
  DINGTALK_EVENT_MODE: z.enum(['stream', 'http']).default('stream'),
  DINGTALK_API_BASE: z.string().url().default('https://api.dingtalk.com'),
  DINGTALK_GATEWAY_URL: z.string().url().default('https://api.dingtalk.com/v1.0/gateway/connections/open'),
  // E-mail: the support mailbox (IMAP in, SMTP out). URLs carry the credentials: imaps://user:pass@host:993
  EMAIL_IMAP_URL: z.string().url().optional(),
  EMAIL_SMTP_URL: z.string().url().optional(),
  EMAIL_ADDRESS: z.string().email().optional(),
  EMAIL_FROM_NAME: z.string().optional(),
  /** Fallback polling interval; IDLE wakes us sooner when the server supports it. */
  EMAIL_POLL_SECONDS: z.coerce.number().int().min(1).default(60),
  // Customers outside a chat (web form, phone, visit, letter): e-mail goes out with EMAIL_SMTP_URL + EMAIL_ADDRESS
  // (no IMAP needed); SMS to mainland mobiles with the company's approved signature and templates (README 短信).
  SMS_PROVIDER: z.enum(['aliyun', 'tencent']).optional(),
  SMS_SIGN_NAME: z.string().optional(),
  SMS_TEMPLATE_ACK: z.string().optional(),
  SMS_TEMPLATE_REPLY: z.string().optional(),
  SMS_TEMPLATE_SURVEY: z.string().optional(),
  ALIYUN_SMS_ACCESS_KEY_ID: z.string().optional(),
  ALIYUN_SMS_ACCESS_KEY_SECRET: z.string().optional(),
  /** Default the public endpoint; tests point it at a fake (http://127.0.0.1:port). */
  ALIYUN_SMS_ENDPOINT: z.string().url().default('https://dysmsapi.aliyuncs.com'),
  TENCENT_SMS_SECRET_ID: z.string().optional(),
  TENCENT_SMS_SECRET_KEY: z.string().optional(),
  /** The SMS application (SdkAppId, 1400…) the signature and templates belong to. */
  TENCENT_SMS_SDK_APP_ID: z.string().optional(),
  TENCENT_SMS_REGION: z.string().default('ap-guangzhou'),
  TENCENT_SMS_ENDPOINT: z.string().url().default('https://sms.tencentcloudapi.com'),
  // WeChat customer service (企业微信 · 微信客服).
  WECOM_CORP_ID: z.string().optional(),
  WECOM_SECRET: z.string().optional(),
  WECOM_TOKEN: z.string().optional(),
  WECOM_AES_KEY: z.string().length(43, 'WECOM_AES_KEY (EncodingAESKey) has 43 characters').optional(),
  WECOM_API_BASE: z.string().url().default('https://qyapi.weixin.qq.com'),
  /** The sandbox (/sandbox): on / off; unset = on only when no chat platform is configured. */
  SANDBOX: z.enum(['on', 'off']).optional(),
  /** Keys the daily evidence roots (HMAC): without it, re-hashing the log after the fact needs only SHA-256. */
  EVIDENCE_KEY: z.string().min(16, 'EVIDENCE_KEY must be at least 16 characters').optional(),
});
export type Env = z.infer<typeof envSchema>;

const hhmm = z.string().regex(/^([01]\d|2[0-4]):[0-5]\d$/, 'expected HH:MM');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const platformUser = z.object({
  platform: z.enum(['feishu', 'dingtalk', 'web', 'email', 'api', 'wecom', 'helpdesk']),
  userId: z.string().min(1),
  name: z.string().optional(),
});

export const categorySchema = z.object({
  id: z.string().regex(/^[a-z][a-z0-9_-]*$/, 'lowercase id such as "bug"'),
  name: z.string().min(1),
  nameEn: z.string().min(1),
  /** Minutes until the first response a customer can see; null = no promise. */
  firstResponseMinutes: z.number().int().positive().nullable(),
  resolutionMinutes: z.number().int().positive().nullable(),
  /** Minutes for the next response after each customer message; null = none. */
  nextResponseMinutes: z.number().int().positive().nullable().default(null),
  clock: z.enum(['business', 'calendar']).default('business'),
  keywords: z.array(z.string()).default([]),
  patterns: z.array(z.string()).default([]),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
});
export type Category = z.infer<typeof categorySchema>;

export const configSchema = z.object({
  company: z
    .object({
      name: z.string().default('我们的团队'),
      nameEn: z.string().default('Our team'),
      /** 审核人: the name printed on every exported file's sign-off (reports/sign-off.ts); unset = a line to sign by hand. */
      reviewer: z.string().trim().min(1).max(50).optional(),
      /** 制表人 when the export does not say who ran it (the admin API, a CLI run without --by). */
      preparer: z.string().trim().min(1).max(50).optional(),
    })
    .default({ name: '我们的团队', nameEn: 'Our team' }),
  categories: z
    .array(categorySchema)
    .min(1)
    .default(() => defaultCategories()),
  defaultCategory: z.string().default('other'),
  calendar: z
    .object({
      timeZone: z.string().default('Asia/Shanghai'),
      /** ISO weekdays (1 = Monday … 7 = Sunday) that are working days unless a holiday says otherwise. */
      workdays: z.array(z.number().int().min(1).max(7)).default([1, 2, 3, 4, 5]),
      hours: z
        .array(z.object({ start: hhmm, end: hhmm }))
        .min(1)
        .default([
          { start: '09:00', end: '12:00' },
          { start: '13:30', end: '18:30' },
        ]),
      /** Extra days off (added to the shipped statutory calendar). */
      holidays: z.array(isoDate).default([]),
      /** Extra working days (调休 make-up days, or overrides). */
      workingDays: z.array(isoDate).default([]),
    })
    .default({
      timeZone: 'Asia/Shanghai',
      workdays: [1, 2, 3, 4, 5],
      hours: [
        { start: '09:00', end: '12:00' },
        { start: '13:30', end: '18:30' },
      ],
      holidays: [],
      workingDays: [],
    }),
  sla: z
    .object({
      dueSoonRatio: z.number().gt(0).lt(1).default(0.75),
      ladder: z.array(z.object({ afterMinutes: z.number().int().min(0), notify: z.enum(['assignee', 'leads', 'admins']) })).default([
        { afterMinutes: 0, notify: 'assignee' },
        { afterMinutes: 30, notify: 'leads' },
        { afterMinutes: 120, notify: 'admins' },
      ]),
    })
    .default({
      dueSoonRatio: 0.75,
      ladder: [
        { afterMinutes: 0, notify: 'assignee' },
        { afterMinutes: 30, notify: 'leads' },
        { afterMinutes: 120, notify: 'admins' },
      ],
    }),
  roles: z
    .object({ agents: z.array(platformUser).default([]), leads: z.array(platformUser).default([]), admins: z.array(platformUser).default([]) })
    .default({ agents: [], leads: [], admins: [] }),
  survey: z
    .object({
      reminderHours: z.number().positive().default(24),
      unratedAfterDays: z.number().positive().default(3),
      satisfiedMin: z.number().int().min(1).max(5).default(4),
      /** Failed phone follow-up attempts (电话回访) before an unanswered survey closes as unrated. */
      followUpAttempts: z.number().int().min(1).max(10).default(3),
    })
    .default({ reminderHours: 24, unratedAfterDays: 3, satisfiedMin: 4, followUpAttempts: 3 }),
  /**
   * A major complaint (重大投诉) moves to this category (unless an agent chose the category) and gets its own,
   * stricter promise: by default a first response in 1 h and a resolution in 24 h on the calendar clock (nights and
   * holidays count: a customer threatening to go to a regulator does not wait for Monday). A config whose
   * categories have no such id keeps the ticket's category and still applies the promise.
   */
  major: z
    .object({
      category: z.string().default('complaint'),
      firstResponseMinutes: z.number().int().positive().default(60),
      resolutionMinutes: z.number().int().positive().default(1440),
      clock: z.enum(['business', 'calendar']).default('calendar'),
    })
    .prefault({}),
  web: z
    .object({ rateLimitPerMinute: z.number().int().positive().default(5), maxContentLength: z.number().int().positive().default(5000) })
    .default({ rateLimitPerMinute: 5, maxContentLength: 5000 }),
  outbox: z
    .object({ maxAttempts: z.number().int().min(1).default(8), leaseSeconds: z.number().int().min(1).default(60) })
    .default({ maxAttempts: 8, leaseSeconds: 60 }),
  /** Inbound API (`POST /api/inbound`): one HMAC key per source system. */
  inbound: z
    .object({
      sources: z
        .array(
          z.object({
            name: z.string().regex(/^[a-z][a-z0-9_-]{0,39}$/, 'lowercase name such as "app"'),
            /** Shown to agents and in the ledger, e.g. "App 内反馈". */
            label: z.string().optional(),
            secret: z.string().min(16, 'secret must be at least 16 characters'),
            /** Where replies and surveys are posted (signed webhook); a request may name another URL on an allowed origin. */
            callbackUrl: z.string().url().optional(),
            callbackOrigins: z.array(z.string().url()).default([]),
          }),
        )
        .default([]),
      /** Accepted clock skew of X-Loopdesk-Timestamp. */
      toleranceSeconds: z.number().int().positive().default(300),
    })
    .default({ sources: [], toleranceSeconds: 300 }),
  /** Planted complaints through each channel's public entry, followed to the agents' card. */
  probes: z
    .object({
      /** node-cron expression in the calendar's zone; unset = daily at a fixed pseudo-random minute in business hours; "off" = never. */
      schedule: z.string().optional(),
      /** Channels to probe; unset = every channel a machine can play (web, api, email). */
      channels: z.array(z.string()).optional(),
      timeoutSeconds: z.number().positive().default(120),
      /** Where the probe reaches the public entry (web form, inbound API); unset = PUBLIC_BASE_URL. */
      baseUrl: z.string().url().optional(),
      /** The inbound API source the probe signs with; unset = the first source. */
      apiSource: z.string().optional(),
      /** From address of e-mail probes; unset = EMAIL_ADDRESS with "+probe" (plus addressing). */
      emailFrom: z.string().email().optional(),
    })
    .default({ timeoutSeconds: 120 }),
  wecom: z
    .object({
      /** Messages the company may send after the customer's last message, and for how long (微信客服 rules). */
      replyWindowHours: z.number().positive().default(48),
      replyLimit: z.number().int().positive().default(5),
    })
    .default({ replyWindowHours: 48, replyLimit: 5 }),
  /** The daily digest: the previous working day's stats (and any days off since) posted to the agents' group(s), on working days. */
  digest: z.object({ enabled: z.boolean().default(true), time: hhmm.default('09:00') }).default({ enabled: true, time: '09:00' }),
  /** Personal data (个人信息保护法): retention of closed tickets' personal data, and the notice shown to customers. */
  privacy: privacySchema,
  /** Triage (README "Triage"): the learning classifier, likely duplicates, bursts grouped into incidents, escalation risk. */
  triage: z
    .object({
      /** Agents' reclassifications train the classifier (naive Bayes, kept in the database). */
      learn: z.boolean().default(true),
      /** Likely duplicates across customers: open tickets this recent and this similar (character-bigram cosine) are shown on the card. */
      duplicates: z.object({ windowHours: z.number().positive().default(72), threshold: z.number().gt(0).lt(1).default(0.6) }).prefault({}),
      /** Similar tickets arriving this fast become one incident card instead of one card each. */
      bursts: z
        .object({
          enabled: z.boolean().default(true),
          windowMinutes: z.number().positive().default(10),
          /** Similar tickets (the new one included) within the window that open an incident. */
          minTickets: z.number().int().min(2).default(3),
          threshold: z.number().gt(0).lt(1).default(0.45),
        })
        .prefault({}),
      /** A customer's Nth message without an answer is an escalation risk, once at least `minMinutes` passed since the first of them. */
      unanswered: z.object({ messages: z.number().int().min(2).default(3), minMinutes: z.number().min(0).default(10) }).prefault({}),
    })
    .prefault({}),
  /** Optional auto-assignment of new tickets; unassigned tickets stay claimable by anyone. */
  assignment: z
    .object({
      mode: z.enum(['off', 'round_robin', 'category']).default('off'),
      /** Open tickets an agent may hold before the rotation skips them. */
      maxOpenPerAgent: z.number().int().positive().default(10),
      /** The rotation; unset = roles.agents. */
      agents: z.array(platformUser).optional(),
      /** mode "category": who takes which category (e.g. bugs to the product on-call); other categories use the rotation. */
      byCategory: z.record(z.string(), z.array(platformUser)).default({}),
    })
    .prefault({}),
  /** Canned replies offered in the respond form (per category first); leads add more with /canned. Placeholders: {客户} {工单号} {承诺}. */
  canned: z
    .array(
      z.object({
        id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/i, 'short id such as "refund-time"'),
        title: z.string().min(1).max(40),
        text: z.string().min(1).max(1000),
        category: z.string().optional(),
      }),
    )
    .default([]),
});
export type Config = z.infer<typeof configSchema>;

/**
 * First responses of 2 h, or 480 business minutes = 1 working day: a customer reads 「1 个工作日内」 and may wait
 * exactly that (a 24 h business target would be three working days). See README 「承诺的措辞」.
 */
export function defaultCategories(): Category[] {
  const c = (
    id: string,
    name: string,
    nameEn: string,
    first: number | null,
    resolution: number | null,
    keywords: string[],
    priority: Category['priority'] = 'normal',
  ): Category => ({
    id,
    name,
    nameEn,
    firstResponseMinutes: first,
    resolutionMinutes: resolution,
    nextResponseMinutes: null,
    clock: 'business',
    keywords,
    patterns: [],
    priority,
  });
  return [
    c(
      'bug',
      '产品故障',
      'Bug',
      120,
      1440,
      [
        '崩溃',
        '闪退',
        '报错',
        '无法登录',
        '登不上',
        '登录不了',
        '打不开',
        '白屏',
        '卡死',
        '出错',
        '故障',
        '异常',
        'bug',
        'error',
        'crash',
        'broken',
        "doesn't work",
        'not working',
      ],
      'high',
    ),
    c(
      'complaint',
      '投诉',
      'Complaint',
      120,
      2880,
      ['投诉', '退款', '欺骗', '差评', '骗人', '太差', '垃圾', '维权', '不满意', '乱扣费', 'complaint', 'refund', 'scam', 'terrible'],
      'high',
    ),
    c('consultation', '咨询', 'Consultation', 480, 4320, [
      '怎么',
      '如何',
      '是否',
      '多少钱',
      '请问',
      '能不能',
      '可以吗',
      '问一下',
      '咨询',
      'how',
      'what',
      'price',
      'can i',
      'is it possible',
    ]),
    c(
      'suggestion',
      '建议',
      'Suggestion',
      480,
      null,
      ['建议', '希望增加', '希望能', '能否增加', '要是能', 'suggest', 'feature request', 'would be nice'],
      'low',
    ),
    c('other', '其他', 'Other', 480, 4320, []),
  ];
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One clear line per problem, each naming the field, so a bad deployment fails at start, not at 3 a.m. */
function describe(source: string, error: z.ZodError): string {
  const lines = error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`);
  return `${source} is invalid:\n${lines.join('\n')}`;
}

export function parseEnv(raw: Record<string, string | undefined> = process.env): Env {
  // Empty strings mean "unset" (docker/systemd env files write them for blank values).
  const cleaned = Object.fromEntries(Object.entries(raw).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(cleaned);
  if (!result.success) throw new ConfigError(describe('environment', result.error));
  return result.data;
}

export function parseConfig(value: unknown, source = 'config'): Config {
  const result = configSchema.safeParse(value ?? {});
  if (!result.success) throw new ConfigError(describe(source, result.error));
  const config = result.data;
  const ids = new Set(config.categories.map((c) => c.id));
  if (ids.size !== config.categories.length) throw new ConfigError(`${source} is invalid:\n  categories: duplicate id`);
  if (!ids.has(config.defaultCategory))
    throw new ConfigError(`${source} is invalid:\n  defaultCategory: "${config.defaultCategory}" is not one of the categories`);
  for (const c of config.categories) {
    for (const p of c.patterns) {
      try {
        new RegExp(p, 'iu');
      } catch {
        throw new ConfigError(`${source} is invalid:\n  categories.${c.id}.patterns: bad regular expression ${JSON.stringify(p)}`);
      }
    }
  }
  return config;
}

export function loadConfig(path: string | undefined): Config {
  if (!path) return parseConfig({}, 'built-in defaults');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`LOOPDESK_CONFIG: cannot read ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`LOOPDESK_CONFIG: ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, path);
}

/** JSON config text (LOOPDESK_CONFIG_JSON), parsed and checked like the file. */
export function parseConfigJson(text: string, source = 'LOOPDESK_CONFIG_JSON'): Config {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${source} is not valid JSON: ${(e as Error).message}`);
  }
  return parseConfig(json, source);
}

/** The config the environment names: a file (LOOPDESK_CONFIG), the JSON itself (LOOPDESK_CONFIG_JSON), or the defaults. */
export function configFromEnv(env: Pick<Env, 'LOOPDESK_CONFIG' | 'LOOPDESK_CONFIG_JSON'>): Config {
  if (env.LOOPDESK_CONFIG && env.LOOPDESK_CONFIG_JSON)
    throw new ConfigError('set LOOPDESK_CONFIG (a file) or LOOPDESK_CONFIG_JSON (the JSON itself), not both');
  return env.LOOPDESK_CONFIG_JSON ? parseConfigJson(env.LOOPDESK_CONFIG_JSON) : loadConfig(env.LOOPDESK_CONFIG);
}

export function categoryOf(config: Config, id: string): Category {
  return config.categories.find((c) => c.id === id) ?? config.categories.find((c) => c.id === config.defaultCategory)!;
}
