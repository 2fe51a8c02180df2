import { STORY_SECTION_LIST } from '../core/story.ts';
import type { CommandSpec } from './commands.ts';
import { DeskError } from './errors.ts';

const CODE = /^FB-\d{8}-\d{4,}$/i;
const EXAMPLE = '例如：/story FB-20260302-0001 原因分析 扣费系统重复扣款，未及时对账';

/** /story: one section of a major complaint's story typed in the agents' group (the console form's twin). */
export const storyCommand: CommandSpec = {
  usage: `/story 工单号 栏目 内容（栏目：${STORY_SECTION_LIST}）`,
  summary: '填写重大投诉的处理经过与结果（列入处理记录报告，同一栏目再次填写即为修改）',
  async run({ services, input, args, rest }) {
    const code = args[0]?.toUpperCase();
    if (!code || !CODE.test(code)) throw new DeskError('invalid', `请提供工单号。${EXAMPLE}`);
    if (!args[1]) throw new DeskError('invalid', `请写上栏目（${STORY_SECTION_LIST}）和内容。${EXAMPLE}`);
    // Everything after the section word, verbatim: line breaks of a longer text survive.
    const afterCode = rest.slice(rest.indexOf(args[0]) + args[0].length);
    const text = afterCode.slice(afterCode.indexOf(args[1]) + args[1].length).trim();
    const r = await services.desk.writeStory({ ticket: code, actor: input.actor, viaAgentGroup: input.viaAgentGroup, section: args[1], text });
    return { kind: 'text', text: `${r.code}：${r.message}` };
  },
};
