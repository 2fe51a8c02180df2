import { parseArgs } from 'node:util';
import { addLocalAccount, disableLocalAccount, issueLoginLink, listLocalAccounts, loginPath } from '../desk/accounts.ts';
import { DeskError } from '../desk/errors.ts';
import type { CliCommand } from './types.ts';

const USAGE = [
  '用法：',
  '  loopdesk user add --name 小林 --role agent|lead|admin [--email 地址]   新建本地账号，打印一次性登录链接',
  '  loopdesk user link 姓名                                                 重新生成一次性登录链接',
  '  loopdesk user list                                                      列出本地账号',
  '  loopdesk user disable 姓名                                              停用账号（立即退出登录）',
].join('\n');

const ROLE = { agent: '客服', lead: '负责人', admin: '管理员' } as Record<string, string>;

/** `loopdesk user …`: local accounts for people without a Feishu/DingTalk login. The login URL is alone on its line (scripts grep it). */
export const userCommand: CliCommand = async (argv, { services, out }) => {
  const [sub, ...rest] = argv;
  const deps = services.desk.deps;
  const url = (token: string) => `${services.env.PUBLIC_BASE_URL.replace(/\/+$/, '')}${loginPath(token)}`;
  try {
    if (sub === 'add') {
      const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, role: { type: 'string' }, email: { type: 'string' } }, strict: true });
      const { account, token } = await addLocalAccount(deps, { name: values.name ?? '', role: values.role ?? '', email: values.email });
      out(
        `已创建账号「${account.name}」（${ROLE[account.role]}${account.email ? `，${account.email}` : ''}）。一次性登录链接（72 小时内有效，只能使用一次）：`,
      );
      out(url(token));
      return 0;
    }
    if (sub === 'link' && rest.length === 1) {
      const { account, token } = await issueLoginLink(deps, rest[0]);
      out(`「${account.name}」的新一次性登录链接（72 小时内有效）：`);
      out(url(token));
      return 0;
    }
    if (sub === 'list' && rest.length === 0) {
      const rows = await listLocalAccounts(services.database);
      if (rows.length === 0) out('还没有本地账号。用 loopdesk user add --name 姓名 --role agent 创建。');
      for (const a of rows) out(`${a.name}\t${ROLE[a.role] ?? a.role}\t${a.email ?? '—'}\t${a.disabledAt ? '已停用' : '启用'}`);
      return 0;
    }
    if (sub === 'disable' && rest.length === 1) {
      const a = await disableLocalAccount(deps, rest[0]);
      out(`账号「${a.name}」已停用：其登录会话和未使用的登录链接立即失效。`);
      return 0;
    }
  } catch (e) {
    if (e instanceof DeskError) {
      out(`loopdesk user: ${e.message}`);
      return e.code === 'not_found' ? 2 : 64;
    }
    if (e instanceof TypeError && 'code' in e && String((e as { code: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
      out(`loopdesk user: ${e.message}\n${USAGE}`);
      return 64;
    }
    throw e;
  }
  out(USAGE);
  return 64;
};
