/**
 * Where a view writes: the command's standard output (results, documents) and standard error
 * (progress of a failover, notes). The CLI passes the process's streams; tests capture them.
 */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}
