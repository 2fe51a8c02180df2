import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, parseEnv } from '../../src/config.ts';

describe('config', () => {
  it('defaults follow the design table', () => {
    const c = parseConfig({});
    const byId = Object.fromEntries(c.categories.map((x) => [x.id, x]));
    expect([byId.bug.firstResponseMinutes, byId.bug.resolutionMinutes]).toEqual([120, 1440]);
    expect([byId.complaint.firstResponseMinutes, byId.complaint.resolutionMinutes]).toEqual([120, 2880]);
    expect([byId.consultation.firstResponseMinutes, byId.consultation.resolutionMinutes]).toEqual([480, 4320]); // 1 个工作日: what a customer reads is what they may wait
    expect([byId.suggestion.firstResponseMinutes, byId.suggestion.resolutionMinutes]).toEqual([480, null]);
    expect(c.calendar.timeZone).toBe('Asia/Shanghai');
    expect(c.survey).toEqual({ reminderHours: 24, unratedAfterDays: 3, satisfiedMin: 4, followUpAttempts: 3 });
    expect(c.major).toEqual({ category: 'complaint', firstResponseMinutes: 60, resolutionMinutes: 1440, clock: 'calendar' });
  });

  it.each([
    [{ survey: { satisfiedMin: 9 } }, 'survey.satisfiedMin'],
    [{ calendar: { hours: [{ start: '9am', end: '18:00' }] } }, 'calendar.hours.0.start'],
    [{ defaultCategory: 'nope' }, 'defaultCategory'],
    [{ categories: [{ id: 'Bug!', name: 'x', nameEn: 'x', firstResponseMinutes: 1, resolutionMinutes: 1 }] }, 'categories.0.id'],
    [{ categories: [{ id: 'other', name: 'x', nameEn: 'x', firstResponseMinutes: 1, resolutionMinutes: 1, patterns: ['('] }] }, 'categories.other.patterns'],
    [{ roles: { agents: [{ platform: 'qq', userId: '1' }] } }, 'roles.agents.0.platform'],
  ])('refuses %j naming %s', (value, field) => {
    expect(() => parseConfig(value, 'loopdesk.json')).toThrow(ConfigError);
    expect(() => parseConfig(value, 'loopdesk.json')).toThrow(field);
  });

  it('refuses a bad environment value, naming the variable', () => {
    expect(() => parseEnv({ PORT: 'eighty' })).toThrow('PORT');
    expect(() => parseEnv({ FEISHU_EVENT_MODE: 'poll' })).toThrow('FEISHU_EVENT_MODE');
    expect(() => parseEnv({ ADMIN_TOKEN: 'short' })).toThrow('ADMIN_TOKEN');
    expect(parseEnv({ PORT: '', DATABASE_URL: '' }).PORT).toBe(3000); // blank = unset
  });
});
