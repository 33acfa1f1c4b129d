import { UnrecoverableError, type Job } from 'bullmq';
import type { Kysely } from 'kysely';
import { computeCollectorScores, resolveDuePromises } from '@loanops/collections';
import { addDays, businessToday, type ScoreWeights } from '@loanops/domain';
import type { Database } from '@loanops/db';
import { QUEUE_CATALOG } from '@loanops/queues';
import type { Logger } from '@loanops/runtime';

export interface ScoringProcessorDeps {
  db: Kysely<Database>;
  logger: Logger;
  workerName: string;
  /** SCORING_ENABLED: when false the job scores nothing. */
  enabled: boolean;
  weights: ScoreWeights;
  bucketNames: readonly string[];
  now: () => Date;
}

/**
 * compute-scores: judges promises whose date has passed, then scores every collector for the
 * business date (by default the IST day that just ended), replacing an earlier run of that date.
 */
export function scoringProcessor(deps: ScoringProcessorDeps) {
  return async (job: Job<unknown>): Promise<unknown> => {
    const log = deps.logger.child({ queue: 'scoring', jobName: job.name, jobId: job.id });
    if (job.name !== 'compute-scores') throw new UnrecoverableError(`unknown job ${job.name}`);
    const parsed = QUEUE_CATALOG.scoring.jobs['compute-scores'].safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad payload: ${parsed.error.message}`);
    const today = businessToday(deps.now());
    const businessDate = parsed.data.businessDate ?? addDays(today, -1);
    if (!deps.enabled) {
      log.info({ businessDate }, 'scoring is off (SCORING_ENABLED=false); nothing scored');
      return { enabled: false, businessDate };
    }
    if (businessDate >= today) throw new UnrecoverableError(`${businessDate} has not ended yet (today is ${today}, IST)`);
    const judged = await resolveDuePromises(deps.db, today, { type: 'system', id: deps.workerName });
    const { scored } = await computeCollectorScores(
      deps.db,
      businessDate,
      { weights: deps.weights, bucketNames: deps.bucketNames },
      { type: 'system', id: deps.workerName },
    );
    log.info({ businessDate, scored, judged }, 'collector scores computed');
    return { enabled: true, businessDate, scored };
  };
}
