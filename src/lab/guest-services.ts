/**
 * The lab guest's network services (scripts/guest/init starts them), as the constants the lab and the
 * tests share:
 * - HTTP on GUEST_HTTP_PORT (busybox httpd): `boot=<id> counter=<N>`;
 * - the stream on GUEST_STREAM_PORT (scripts/guest/colo-stream.c): on each connection one line every
 *   GUEST_STREAM_PERIOD_MS, `seq=N boot=ID\n`, N counting from 1 per connection, ID the boot id (the
 *   same on both sides of a COLO pair), so a test can watch one TCP connection across a failover.
 */
export const GUEST_HTTP_PORT = 80;
export const GUEST_STREAM_PORT = 7000;
export const GUEST_STREAM_PERIOD_MS = 100;
