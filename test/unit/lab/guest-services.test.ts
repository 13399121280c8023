// The guest's services and the constants the lab and tests use for them agree: scripts/guest/init
// starts the stream service on GUEST_STREAM_PORT and httpd on GUEST_HTTP_PORT; the stream program
// sends a line every GUEST_STREAM_PERIOD_MS; the test helper's parser reads the program's format.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../../../src/lab/assets.ts';
import { GUEST_HTTP_PORT, GUEST_STREAM_PERIOD_MS, GUEST_STREAM_PORT } from '../../../src/lab/guest-services.ts';
import { parseStreamLine, streamProblems, type StreamLine } from '../../helpers/stream.ts';

const guestFile = (name: string): string => readFileSync(path.join(packageRoot(), 'scripts', 'guest', name), 'utf8');

describe('guest services', () => {
  test('init starts httpd and the stream service on the shared ports', () => {
    const init = guestFile('init');
    assert.match(init, new RegExp(`^httpd -p ${GUEST_HTTP_PORT} `, 'm'));
    assert.match(init, new RegExp(`^STREAM_PORT=${GUEST_STREAM_PORT}$`, 'm'));
    assert.match(init, /^colo-stream "\$STREAM_PORT" "\$bootid" &$/m);
  });

  test('the stream program: the shared period, one write per line, the parsed format', () => {
    const c = guestFile('colo-stream.c');
    assert.match(c, new RegExp(`#define PERIOD_NS ${GUEST_STREAM_PERIOD_MS * 1_000_000}L`));
    assert.match(c, /"seq=%lu boot=%s\\n"/);
    assert.match(c, /TCP_NODELAY/);
    assert.deepEqual(parseStreamLine('seq=12 boot=0123456789abcdef'), { seq: 12, boot: '0123456789abcdef' });
    for (const bad of ['seq=0 boot=ab', 'seq=1 boot=', 'seq=1boot=ab', 'seq=1 boot=a b', ' seq=1 boot=ab'])
      assert.equal(parseStreamLine(bad), undefined, bad);
  });

  test('streamProblems names gaps, boot changes, a late start and unparsed lines', () => {
    const l = (seq: number, boot = 'b'): StreamLine => ({ seq, boot, atMs: seq * 100 });
    assert.deepEqual(streamProblems([l(1), l(2), l(3)]), []);
    assert.deepEqual(streamProblems([l(1), l(3)]), ['seq=1 is followed by seq=3']);
    assert.deepEqual(streamProblems([l(1), l(2, 'c')]), ['boot id changed from b to c at seq=2']);
    assert.deepEqual(streamProblems([l(2)]), ['the first line has seq=2, not 1']);
    assert.deepEqual(streamProblems([], ['junk']), ['not a stream line: "junk"', 'no lines']);
  });
});
