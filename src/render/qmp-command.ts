/** One QMP command as data: what render produces and the engine executes (src/qmp sends it). */
export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
}
