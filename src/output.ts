/**
 * Where a command-line subcommand writes: stdout lines and stderr lines. `aitws` passes the
 * process's streams; tests pass recorders. Shared by the CLI and the adapters' own subcommands
 * (`aitws discord …`), so neither reaches into the other.
 */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}
