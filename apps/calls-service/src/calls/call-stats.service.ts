import { Injectable } from '@nestjs/common';
import { QueryFilter } from 'mongoose';
import { quarterHourStart } from '../call-model/call-wrap-up';
import { OutcomesService } from '../outcomes/outcomes.service';
import { CallRepository } from './call.repository';
import { CallsService } from './calls.service';
import { CallStatsQueryDto, StatsGrouping } from './dto/call-stats-query.dto';
import { CallStatsGroupDto, CallStatsResponseDto } from './dto/call-stats.dto';
import { Call } from './schemas/call.schema';

/** The stored field each grouping groups by; days are folded from quarter-hours (see dayOf). */
const GROUP_FIELD: Record<StatsGrouping, keyof Call> = { user: 'userId', day: 'startQuarterHour', outcome: 'outcomeId', status: 'status' };

/** A call counts as answered once it has an answer time or reached in-progress (completed implies it). */
const ANSWERED: QueryFilter<Call> = { $or: [{ answerTime: { $ne: null } }, { status: { $in: ['in-progress', 'completed'] } }] };

type Sums = Pick<CallStatsGroupDto, 'calls' | 'answered' | 'talkSeconds' | 'positiveOutcomes'> & { ringCount: number; ringSeconds: number };
const NO_SUMS: Sums = { calls: 0, answered: 0, talkSeconds: 0, positiveOutcomes: 0, ringCount: 0, ringSeconds: 0 };

/**
 * The organization's call statistics, summed by the database: each number is one aggregation over the
 * matching calls, grouped by the grouping's field, so the process handles one row per group (per
 * quarter-hour for days), never the calls themselves.
 */
@Injectable()
export class CallStatsService {
  constructor(
    private readonly calls: CallRepository,
    private readonly callsService: CallsService,
    private readonly outcomes: OutcomesService,
  ) {}

  async stats(organizationId: string, query: CallStatsQueryDto): Promise<CallStatsResponseDto> {
    const timeZone = query.timeZone ?? 'UTC';
    const filter = await this.callsService.filterOf(organizationId, query);
    const key = GROUP_FIELD[query.groupBy];
    const and = (clause: QueryFilter<Call>): QueryFilter<Call> => ({ ...filter, $and: [...(filter.$and ?? []), clause] });
    const positiveIds = await this.outcomes.positiveIds(organizationId);
    const sum = (where: QueryFilter<Call>, sumOf: 1 | keyof Call) => this.calls.sumBy(organizationId, where, key, sumOf);
    const [calls, talkSeconds, answered, ringCount, ringSeconds, positiveOutcomes] = await Promise.all([
      sum(filter, 1),
      sum(filter, 'duration'),
      sum(and(ANSWERED), 1),
      sum(and({ ringSeconds: { $ne: null } }), 1),
      sum(and({ ringSeconds: { $ne: null } }), 'ringSeconds'),
      positiveIds.length > 0 ? sum(and({ outcomeId: { $in: positiveIds } }), 1) : Promise.resolve([]),
    ]);

    const keyOf = query.groupBy === 'day' ? dayKeys(timeZone) : (id: unknown) => (id === null || id === undefined ? null : String(id));
    const groups = new Map<string | null, Sums>();
    const add = (rows: { _id: unknown; value: number }[], field: keyof Sums) => {
      for (const row of rows) {
        const groupKey = keyOf(row._id);
        const sums = groups.get(groupKey) ?? { ...NO_SUMS };
        sums[field] += row.value;
        groups.set(groupKey, sums);
      }
    };
    add(calls, 'calls');
    add(talkSeconds, 'talkSeconds');
    add(answered, 'answered');
    add(ringCount, 'ringCount');
    add(ringSeconds, 'ringSeconds');
    add(positiveOutcomes, 'positiveOutcomes');

    const ordered = [...groups.entries()].sort(([a], [b]) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1));
    return {
      success: true,
      groupBy: query.groupBy,
      timeZone,
      groups: ordered.map(([groupKey, sums]) => ({
        key: groupKey,
        calls: sums.calls,
        answered: sums.answered,
        answerRate: sums.calls === 0 ? 0 : sums.answered / sums.calls,
        talkSeconds: sums.talkSeconds,
        averageTalkSeconds: sums.answered === 0 ? null : sums.talkSeconds / sums.answered,
        averageRingSeconds: sums.ringCount === 0 ? null : sums.ringSeconds / sums.ringCount,
        positiveOutcomes: sums.positiveOutcomes,
      })),
    };
  }
}

/**
 * The calendar day in `timeZone` of each quarter-hour a call started in, as YYYY-MM-DD. Every zone's
 * offset is a whole number of quarter-hours, so the whole quarter-hour lies in one local day, across
 * daylight-saving changes too; each quarter-hour is formatted once.
 */
function dayKeys(timeZone: string): (quarterHour: unknown) => string | null {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const days = new Map<number, string>();
  return (quarterHour) => {
    if (typeof quarterHour !== 'number') return null;
    let day = days.get(quarterHour);
    if (day === undefined) {
      day = format.format(quarterHourStart(quarterHour));
      days.set(quarterHour, day);
    }
    return day;
  };
}
