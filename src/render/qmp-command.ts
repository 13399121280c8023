/** One QMP command as data: what render produces and the engine executes (src/qmp sends it). */
export interface QmpCommand {
  execute: string;
  arguments?: Record<string, unknown>;
  /**
   * Sent out-of-band (`exec-oob`): QEMU's monitor thread answers it at once, even while its main loop
   * is stuck (on a dead NBD or migration peer). Only commands QEMU marks allow-oob (query-yank, yank),
   * and only on a connection that negotiated the `oob` capability.
   */
  oob?: true;
}
