/** Prometheus metrics (prom-client), one registry per process, built in the composition root. */
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

export interface CommandMetrics {
  observeCommand(command: string, ok: boolean, seconds: number): void;
}

export interface Metrics extends CommandMetrics {
  readonly registry: Registry;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'aitws_' });
  const commands = new Counter({
    name: 'aitws_commands_total',
    help: 'Commands handled, by command name and outcome',
    labelNames: ['command', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'aitws_command_duration_seconds',
    help: 'Time to handle a command, from text to reply',
    labelNames: ['command'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    observeCommand(command, ok, seconds) {
      commands.inc({ command, outcome: ok ? 'ok' : 'error' });
      duration.observe({ command }, seconds);
    },
  };
}
