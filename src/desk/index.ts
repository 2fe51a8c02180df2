import type { DeskDeps } from './deps.ts';
import { act, type AgentAction } from './act.ts';
import { intake, intakeGate, type InboundMessage } from './intake.ts';
import { answerSurvey, closeUnrated, type SurveyAnswer } from './survey.ts';
import { enqueue } from './store.ts';
import type { CommandReply } from './commands.ts';
import { mergeTickets, unmergeTicket, type MergeInput, type UnmergeInput } from './merge.ts';
import { incidentAct, type IncidentAction } from './incidents.ts';
import { openRecordedTicket, type RecordedTicket } from './record-ticket.ts';
import { recordFollowUp, recordFollowUpAttempt, startFollowUp, type FollowUpAttemptInput, type FollowUpInput } from './follow-up.ts';
import { cleanDeep } from '../core/text.ts';
import { recordReceipt, type DeliveryReceipt } from './receipts.ts';
import { writeStory, type StoryInput } from './story.ts';
import { recordTwinClosed, rerouteReplies, type TwinClosed } from './platform-twin.ts';
import { deliveryFailed, type DeadDelivery } from './delivery-failed.ts';

/**
 * The use cases, each one database transaction; channels and HTTP call these, never the tables. Every input is
 * cleaned of what the database refuses (NUL, lone surrogates: core/text.ts) whichever channel it came from.
 */
export function createDesk(deps: DeskDeps) {
  return {
    deps,
    intake: (msg: InboundMessage) => intake(deps, cleanDeep(msg)),
    // An agent's click or command goes before intakes still waiting for their turn (issue 18: clicks under a flood).
    act: (action: AgentAction) => intakeGate(deps.database).urgent(() => act(deps, cleanDeep(action))),
    answerSurvey: (answer: SurveyAnswer) => answerSurvey(deps, cleanDeep(answer)),
    /**
     * Closes a resolved ticket as unrated at once. Only for records made before the phone follow-up existed (test
     * fixtures); the sweep never calls it: an unanswered survey becomes a follow-up task (startFollowUp).
     */
    closeUnrated: (ticketId: number) => closeUnrated(deps, ticketId),
    /** The unanswered survey becomes a named person's phone follow-up task (the sweep calls it after the wait). */
    startFollowUp: (ticketId: number) => startFollowUp(deps, ticketId),
    /** A failed follow-up attempt (time, means, result, note); the configured number of them closes as unrated. */
    recordFollowUpAttempt: (input: FollowUpAttemptInput) => recordFollowUpAttempt(deps, cleanDeep(input)),
    /** A phone call, visit or letter typed in by an agent: a ticket like any other, the agent recorded. */
    openRecordedTicket: (input: RecordedTicket) => openRecordedTicket(deps, cleanDeep(input)),
    /** The survey answer a customer gave an agent by phone (电话回访). */
    recordFollowUp: (input: FollowUpInput) => recordFollowUp(deps, cleanDeep(input)),
    /** One section of a major complaint's story (事件经过 … 整改措施), an event in the ticket's chain. */
    writeStory: (input: StoryInput) => writeStory(deps, cleanDeep(input)),
    /** Duplicates: close one ticket as merged into the one that carries the case (admins can undo it). */
    merge: (input: MergeInput) => mergeTickets(deps, cleanDeep(input)),
    unmerge: (input: UnmergeInput) => unmergeTicket(deps, input),
    /** The outbox gave up on a customer message: the agents are told, the ticket's log records it. */
    deliveryFailed: (row: DeadDelivery, reason: string) => deliveryFailed(deps, row, reason),
    /** A platform's own ticket beside ours (Feishu helpdesk): the customer answers there now; it closed there. */
    rerouteReplies: (input: { ticketId: number; replyTo: Record<string, unknown>; unlessField: string }) => rerouteReplies(deps, cleanDeep(input)),
    recordTwinClosed: (input: TwinClosed) => recordTwinClosed(deps, cleanDeep(input)),
    /** Incident card buttons: reply to / resolve every ticket of a burst. */
    incidentAct: (input: IncidentAction) => incidentAct(deps, cleanDeep(input)),
    /** Queues a command's answer for the surface it was typed in (`replyTo`: e.g. the message to reply to). */
    async enqueueReply(surface: string, reply: CommandReply, idemKey: string, replyTo?: Record<string, unknown>, receipt?: DeliveryReceipt) {
      await deps.database.db.transaction(async (tx) => {
        await recordReceipt(tx, receipt);
        await enqueue(tx, deps.clock.now(), [
          { channel: surface, kind: 'agents.reply', ticketId: null, payload: { reply, replyTo }, idemKey: `reply:${surface}:${idemKey}` },
        ]);
      });
      deps.wake();
    },
  };
}
export type Desk = ReturnType<typeof createDesk>;

export { DeskError } from './errors.ts';
export type { DeliveryReceipt } from './receipts.ts';
export type { DeskDeps } from './deps.ts';
export type { AgentAction, ActResult, Role } from './act.ts';
export { roleOf } from './act.ts';
export type { InboundMessage, IntakeResult } from './intake.ts';
export type { SurveyAnswer, SurveyResult } from './survey.ts';
export type { RecordedTicket } from './record-ticket.ts';
export type { FollowUpInput, FollowUpAttemptInput, FollowUpAttemptResult } from './follow-up.ts';
