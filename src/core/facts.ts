/**
 * The ledger's figures as the event log tells them: replaying a ticket's events gives the status, first response,
 * resolution, closing, survey score and major flag that the `tickets` row must show (records/verify.ts compares).
 * Pure; mirrors the patches of core/ticket.ts (and the probe close), event by event.
 */
export interface LedgerFacts {
  status: string;
  firstResponseAt: number | null;
  resolvedAt: number | null;
  closedAt: number | null;
  closeReason: string | null;
  csatScore: number | null;
  isMajor: boolean;
}

export interface FactEvent {
  type: string;
  data: Record<string, unknown>;
  at: Date;
}

export function replayFacts(events: FactEvent[]): LedgerFacts {
  const f: LedgerFacts = { status: 'new', firstResponseAt: null, resolvedAt: null, closedAt: null, closeReason: null, csatScore: null, isMajor: false };
  for (const e of events) {
    const at = e.at.getTime();
    switch (e.type) {
      case 'claimed':
      case 'assigned':
        // An auto-claim keeps a status past 'claimed'; an explicit claim of a reopened ticket restarts it.
        if (e.type === 'assigned' || !e.data.auto || f.status === 'new' || f.status === 'reopened') f.status = 'claimed';
        break;
      case 'responded':
        f.status = 'responded';
        f.firstResponseAt ??= at;
        break;
      case 'resolved':
        f.status = 'resolved';
        f.resolvedAt = at;
        break;
      case 'reopened':
        f.status = 'reopened';
        f.resolvedAt = null;
        break;
      case 'survey_sent':
        if (e.data.via) f.csatScore = null;
        break;
      case 'survey_answered':
        f.csatScore = typeof e.data.score === 'number' ? e.data.score : f.csatScore;
        break;
      case 'closed':
        f.status = 'closed';
        f.closedAt = at;
        f.closeReason = typeof e.data.reason === 'string' ? e.data.reason : null;
        break;
      case 'unmerged':
        f.status = typeof e.data.restoredStatus === 'string' ? e.data.restoredStatus : 'reopened';
        f.closedAt = null;
        f.closeReason = null;
        f.csatScore = null;
        break;
      case 'major_flagged':
        f.isMajor = true;
        break;
      case 'major_cleared':
        f.isMajor = false;
        break;
    }
  }
  return f;
}

/** The fields compared, with their names in the report. */
export const FACT_LABELS: Record<keyof LedgerFacts, string> = {
  status: '状态',
  firstResponseAt: '首次响应时间',
  resolvedAt: '解决时间',
  closedAt: '归档时间',
  closeReason: '归档原因',
  csatScore: '满意度评分',
  isMajor: '重大投诉标记',
};
