/**
 * The Scheduler on BullMQ job schedulers (Redis, Redis Cluster): each scheduled trigger of a
 * channel is one job scheduler (`upsertJobScheduler(id, { pattern, tz })`), so BullMQ creates one
 * delayed job per tick whatever the number of processes, and any worker that runs `work` takes it.
 * A tick's job carries the channel and trigger; its scheduled time is the job's (`prevMillis`), and
 * the run it starts has an id derived from trigger and time (EventRouter.fireSchedule), so even a
 * tick processed twice starts one run.
 *
 * Which triggers a channel has scheduled is kept in a set beside the queue (same hash tag), added
 * to before a scheduler is created and trimmed after one is removed, so `sync` never leaves a
 * scheduler it cannot find again.
 */
import { type Job, Queue, Worker } from 'bullmq';
import type { AitwsDocument } from '../document/types.js';
import { AitwsError } from '../errors.js';
import { type Logger, silentLogger } from '../logging.js';
import type { ChannelKey, Platform } from '../session/port.js';
import { closeRedisClient, type RedisClient } from '../session/redis-client.js';
import { channelPath } from './events-ids.js';
import {
  checkNoEviction,
  producerClient,
  type RunQueueClientOptions,
  workerTemplateClient,
} from './queue-bullmq-redis.js';
import { channelSchedules, type ScheduleFire, type Scheduler } from './schedules.js';

export interface BullSchedulerOptions {
  /** A Redis URL as REDIS_URL takes it. */
  readonly connection: string;
  readonly clientOptions?: RunQueueClientOptions;
  /** Hash-tagged so the queue's keys share one Cluster slot. Default `{aitws-schedules}`. */
  readonly prefix?: string;
  /** Default `schedules`. */
  readonly queueName?: string;
  readonly logger?: Logger;
}

interface TickData {
  readonly platform: Platform;
  readonly workspace: string;
  readonly channel: string;
  readonly trigger: string;
}

const TICK = 'tick';
const FAILED_TICKS_KEPT = 100;

export class BullScheduler implements Scheduler {
  readonly #options: BullSchedulerOptions;
  readonly #prefix: string;
  readonly #queueName: string;
  readonly #logger: Logger;
  readonly #client: RedisClient;
  readonly #queue: Queue<TickData, void, string>;
  #worker: Worker<TickData, void, string> | undefined;
  #workerTemplate: RedisClient | undefined;
  #closed = false;

  constructor(options: BullSchedulerOptions) {
    this.#options = options;
    this.#prefix = options.prefix ?? '{aitws-schedules}';
    this.#queueName = options.queueName ?? 'schedules';
    this.#logger = options.logger ?? silentLogger;
    if (/^(rediss?\+cluster):/i.test(options.connection) && !/\{[^{}]+\}/.test(this.#prefix))
      throw new AitwsError('CONFIG', `The schedule queue prefix "${this.#prefix}" has no {hash tag}.`, {
        hint: 'On Redis Cluster every key of a queue must share one slot: use a prefix like {aitws-schedules}.',
      });
    this.#client = producerClient(options.connection, this.#clientOptions());
    this.#queue = new Queue<TickData, void, string>(this.#queueName, {
      connection: this.#client,
      prefix: this.#prefix,
    });
    this.#queue.on('error', (error) => this.#logger.warn({ err: error }, 'schedule queue connection error'));
  }

  async sync(channel: ChannelKey, document: AitwsDocument | null): Promise<void> {
    // A sync that starts after close has nothing to write with; the next process syncs again.
    if (this.#closed) return;
    const index = this.#indexKey(channel);
    const wanted = channelSchedules(document);
    const names = new Set(wanted.map((schedule) => schedule.trigger));
    if (names.size > 0) await this.#client.sadd(index, ...names);
    for (const schedule of wanted) {
      const id = this.#schedulerId(channel, schedule.trigger);
      const existing = await this.#queue.getJobScheduler(id);
      if (existing?.pattern === schedule.pattern && existing.tz === schedule.timezone) continue;
      const data: TickData = { ...channel, trigger: schedule.trigger };
      await this.#queue.upsertJobScheduler(
        id,
        { pattern: schedule.pattern, tz: schedule.timezone },
        { name: TICK, data, opts: { removeOnComplete: true, removeOnFail: FAILED_TICKS_KEPT } },
      );
    }
    const stale = (await this.#client.smembers(index)).filter((trigger) => !names.has(trigger));
    for (const trigger of stale) await this.#queue.removeJobScheduler(this.#schedulerId(channel, trigger));
    if (stale.length > 0) await this.#client.srem(index, ...stale);
  }

  /** The triggers scheduled for `channel`, with their cron text and zone. */
  async scheduled(
    channel: ChannelKey,
  ): Promise<{ trigger: string; pattern?: string; timezone?: string; next?: number }[]> {
    const triggers = (await this.#client.smembers(this.#indexKey(channel))).sort();
    const found = [];
    for (const trigger of triggers) {
      const scheduler = await this.#queue.getJobScheduler(this.#schedulerId(channel, trigger));
      if (scheduler === undefined) continue;
      found.push({
        trigger,
        ...(scheduler.pattern === undefined ? {} : { pattern: scheduler.pattern }),
        ...(scheduler.tz === undefined ? {} : { timezone: scheduler.tz }),
        ...(scheduler.next === undefined ? {} : { next: scheduler.next }),
      });
    }
    return found;
  }

  /** Takes ticks in this process (workers): each becomes `fire(channel, { trigger, at })`. */
  async work(fire: ScheduleFire, options: { readonly concurrency?: number } = {}): Promise<void> {
    if (this.#worker !== undefined) throw new Error('BullScheduler.work was already called');
    // An evicted tick job is a schedule that silently stops.
    await checkNoEviction(this.#client);
    // Closed while the check ran (a console whose input ended at once): a worker started now
    // would hold a connection nothing closes, and the process would never exit.
    if (this.#closed) return;
    this.#workerTemplate = workerTemplateClient(this.#options.connection, this.#clientOptions());
    const worker = new Worker<TickData, void, string>(this.#queueName, (job) => this.#tick(job, fire), {
      connection: this.#workerTemplate,
      prefix: this.#prefix,
      concurrency: options.concurrency ?? 4,
    });
    this.#worker = worker;
    worker.on('error', (error) => this.#logger.warn({ err: error }, 'schedule worker error'));
    worker.on('failed', (job, error) =>
      this.#logger.warn({ trigger: job?.data.trigger, err: error }, 'A scheduled trigger failed'),
    );
    await worker.waitUntilReady();
  }

  /** The queue, for tests that promote a tick instead of waiting for its minute. */
  get queue(): Queue<TickData, void, string> {
    return this.#queue;
  }

  schedulerId(channel: ChannelKey, trigger: string): string {
    return this.#schedulerId(channel, trigger);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#worker?.close();
    await this.#queue.close();
    await closeRedisClient(this.#client);
    this.#workerTemplate?.disconnect();
  }

  async #tick(job: Job<TickData, void, string>, fire: ScheduleFire): Promise<void> {
    const { platform, workspace, channel, trigger } = job.data;
    const at = job.opts.prevMillis ?? Number(job.id?.split(':').at(-1));
    if (!Number.isFinite(at)) throw new Error(`a schedule tick without its time (job ${job.id})`);
    await fire({ platform, workspace, channel }, { trigger, at: new Date(at) });
  }

  // No ":" inside (BullMQ splits its tick job ids `repeat:<scheduler>:<time>` on it): channelPath encodes its parts.
  #schedulerId(channel: ChannelKey, trigger: string): string {
    return `${channelPath(channel)}/${encodeURIComponent(trigger)}`;
  }

  #indexKey(channel: ChannelKey): string {
    return `${this.#prefix}:${this.#queueName}:channel:${channelPath(channel)}`;
  }

  #clientOptions(): RunQueueClientOptions {
    const onError = (error: Error): void => this.#logger.debug({ err: error }, 'schedule queue Redis error');
    return { onError, ...this.#options.clientOptions };
  }
}
