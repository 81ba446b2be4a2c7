import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { normalise } from '../../src/analysis/mask.ts';
import { mergeTokens } from '../../src/analysis/merge.ts';
import { alignAcross } from '../../src/analysis/spans.ts';
import { createTemplateMiner, MAX_TOKENS, maskLine, WILDCARD } from '../../src/analysis/templates.ts';

// A collection before each heap reading, so the cap test measures what is retained.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('maskLine', () => {
  const cases: [string, string][] = [
    ['took 42 ms', 'took <*> ms'],
    ['  spaced \t out   words ', 'spaced out words'],
    ['latency 1.5s and 300ms and -7', 'latency <*> and <*> and <*>'],
    // An address is one variable: `<*>.<*>` merges, the port stays apart.
    ['from 10.251.73.220:50010 to [fe80::1]', 'from <*>:<*> to [<*>::<*>]'],
    ['request 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b done', 'request <*> done'],
    ['pointer 0x7ffd5e8c and id 113d3a99c3da401fbd62cc2caa5b96d2', 'pointer <*> and id <*>'],
    ['read /var/log/app.log then ./conf/x.yaml and C:\\temp\\a.txt', 'read <*> then <*> and <*>'],
    ['GET https://example.com/a?b=1 and hdfs://10.10.34.11:9000/a/1/', 'GET https://<*> and hdfs://<*>'],
    ['listening on :[akka.tcp://sparkExecutor@10.10.34.11:43374]', 'listening on :[akka.tcp://<*>]'],
    // Only a variable-looking value is masked: `tty=NODEVssh` names a constant.
    ['user=alice tty=NODEVssh ok= (uid=0) rhost=220-135-151-1.hinet-ip.hinet.net', 'user=alice tty=NODEVssh ok= (uid=<*>) rhost=<*>'],
    ['enabled true, cached false, parent null', 'enabled <*>, cached <*>, parent <*>'],
    // A word glued to a number is one variable; a '-' after '_' is the number's sign.
    ['block blk_-6952295868487656571 on worker-7 and blk_42', 'block <*> on worker-<*> and <*>'],
    ['proxy SOCKS5 on eth0 and ext4', 'proxy SOCKS5 on eth0 and ext4'],
    ['generating core.1234 at alignment......0', 'generating core.<*> at alignment......<*>'],
    // Space-separated variables stay separate tokens, as the ground truth writes them.
    ['onExtend:1514038530000 14 0 4', 'onExtend:<*> <*> <*> <*>'],
    ['host proxy.cse.cuhk.edu.hk:5070 open', 'host <*>:<*> open'],
    ['at Fri Jun 17 07:07:00 2005 done', 'at <*>:<*>:<*> done'],
    ['stored (estimated size 16.0 B, free 317.5 KB)', 'stored (estimated size <*>, free <*>)'],
    ['no variables here', 'no variables here'],
    ['', ''],
  ];
  for (const [line, masked] of cases) it(JSON.stringify(line), () => assert.equal(maskLine(line), masked));

  it('ends a very long line in one <*>', () => {
    const words = Array.from({ length: MAX_TOKENS + 50 }, (_, i) => `w${String.fromCharCode(97 + (i % 26))}`);
    const masked = maskLine(words.join(' ')).split(' ');
    assert.equal(masked.length, MAX_TOKENS);
    assert.deepEqual(masked.slice(-2), [words[MAX_TOKENS - 2], WILDCARD]);
    assert.equal(maskLine(words.slice(0, MAX_TOKENS).join(' ')), words.slice(0, MAX_TOKENS).join(' '));
  });
});

describe('normalise', () => {
  it('applies the template-writing rules: glued variables, <*>.<*> and <*><*> become one <*>', () => {
    assert.equal(normalise('blk_<*> core.<*> <*>.<*>.<*>:<*> <*><*> a-<*>'), '<*> core.<*> <*>:<*> <*> a-<*>');
    assert.equal(normalise('no variable'), 'no variable');
  });
});

describe('mergeTokens', () => {
  const cases: [string, string, string][] = [
    ['core.<*>', 'core.<*>', 'core.<*>'],
    ['tcpconn6.tencent.com:<*>', '<*>:<*>', '<*>:<*>'],
    ['a.b', 'a.c', 'a.<*>'],
    ['user=alice', 'user=<*>', 'user=<*>'],
    ['(uid=<*>)', 'LOGIN(uid=<*>)', '<*>(uid=<*>)'],
    ['foo', 'bar', '<*>'],
    ['<*>', 'anything', '<*>'],
  ];
  for (const [a, b, merged] of cases) it(`${a} + ${b}`, () => assert.equal(mergeTokens(a, b), merged));
});

describe('alignAcross', () => {
  const tokens = (line: string) => maskLine(line).split(' ');
  it('stretches over an optional aside that holds a variable', () => {
    const merged = alignAcross(
      tokens('h:1 close, 0 bytes sent, 0 bytes received, lifetime 00:01'),
      tokens('h:1 close, 1190 bytes (1.16 KB) sent, 0 bytes received, lifetime <1 sec'),
    );
    assert.deepEqual(merged, ['h:<*>', 'close,', '<*>', 'bytes', '<*>', 'sent,', '<*>', 'bytes', 'received,', 'lifetime', '<*>']);
  });
  it('refuses words against words with no variable between them', () => {
    assert.equal(alignAcross(tokens('VM Started (Lifecycle Event)'), tokens('VM Paused now (Lifecycle Event)')), null);
  });
  it('refuses an extra field at either end: another shape of message', () => {
    assert.equal(alignAcross(tokens('failure; rhost=1.2.3.4'), tokens('failure; rhost=1.2.3.4 user=7')), null);
    assert.equal(alignAcross(tokens('failure; rhost=1.2.3.4'), tokens('id=7 failure; rhost=1.2.3.4')), null);
  });
  it('refuses when too few of the words are shared', () => {
    assert.equal(alignAcross(tokens('a b c d e 1'), tokens('a x 2 y z')), null);
  });
});

describe('createTemplateMiner', () => {
  it('groups lines that differ only in variables and keeps the id stable', () => {
    const m = createTemplateMiner();
    const a = m.add('Connection pool exhausted (active=50 idle=0 waiting=12)');
    const b = m.add('User 17 logged in from 10.0.0.1');
    const c = m.add('Connection pool exhausted (active=50 idle=0 waiting=31)');
    const d = m.add('User 2041 logged in from 10.0.0.9');
    assert.equal(a.templateId, c.templateId);
    assert.equal(b.templateId, d.templateId);
    assert.notEqual(a.templateId, b.templateId);
    assert.equal(c.template, 'Connection pool exhausted (active=<*> idle=<*> waiting=<*>)');
    assert.equal(d.template, 'User <*> logged in from <*>');
    assert.deepEqual(m.templates(), [
      { id: a.templateId, template: 'Connection pool exhausted (active=<*> idle=<*> waiting=<*>)', count: 2 },
      { id: b.templateId, template: 'User <*> logged in from <*>', count: 2 },
    ]);
    assert.equal(m.size, 2);
  });

  it('turns a word into <*> where another line has a variable, but keeps two different words apart', () => {
    const m = createTemplateMiner();
    const alice = m.add('payment authorized for customer alice via card');
    const numbered = m.add('payment authorized for customer 4711 via card');
    assert.equal(numbered.templateId, alice.templateId);
    assert.equal(numbered.template, 'payment authorized for customer <*> via card');
    assert.equal(m.add('payment authorized for customer bob via card').templateId, alice.templateId);
    const started = m.add('[instance: 42] VM Started (Lifecycle Event)');
    const paused = m.add('[instance: 43] VM Paused (Lifecycle Event)');
    assert.notEqual(paused.templateId, started.templateId);
    assert.equal(paused.template, '[instance: <*>] VM Paused (Lifecycle Event)');
  });

  it('matches across token counts when a variable explains the difference', () => {
    const m = createTemplateMiner();
    const plain = m.add('h.example.com:5070 close, 0 bytes sent, 0 bytes received, lifetime 00:01');
    const aside = m.add('h.example.com:5070 close, 1190 bytes (1.16 KB) sent, 0 bytes received, lifetime <1 sec');
    assert.equal(aside.templateId, plain.templateId);
    assert.equal(aside.template, '<*>:<*> close, <*> bytes <*> sent, <*> bytes received, lifetime <*>');
    // The stretched template still takes the first shape.
    assert.equal(m.add('h.example.com:5070 close, 9 bytes sent, 3 bytes received, lifetime 00:02').templateId, plain.templateId);
    assert.equal(m.size, 1);
  });

  it('keeps short lines that differ in a word apart', () => {
    const m = createTemplateMiner();
    const ids = ['Connection closed', 'Connection refused', 'Connection pool exhausted', 'Connection pool created'].map((l) => m.add(l).templateId);
    assert.equal(new Set(ids).size, 4);
  });

  it('separates lines with different token counts and different leading tokens', () => {
    const m = createTemplateMiner();
    const one = m.add('request failed after 3 retries');
    const two = m.add('request failed after 3 retries with status 503');
    const three = m.add('response failed after 3 retries');
    assert.equal(new Set([one.templateId, two.templateId, three.templateId]).size, 3);
  });

  it('does not let a general template swallow lines of another shape', () => {
    const m = createTemplateMiner();
    for (let i = 0; i < 5; i++) {
      m.add(`[instance: ${i}abc] Total memory: ${512 + i} MB, used: 0.${i}0 MB`);
      m.add(`[instance: ${i}abc] memory limit: ${512 + i}.00 MB, free: ${i}.00 MB`);
      m.add(`[instance: ${i}abc] Total disk: ${i + 15} GB, used: 0.${i}0 GB`);
    }
    assert.deepEqual(
      m.templates().map((t) => [t.template, t.count]),
      [
        ['[instance: <*>] Total memory: <*>, used: <*>', 5],
        ['[instance: <*>] memory limit: <*>, free: <*>', 5],
        ['[instance: <*>] Total disk: <*>, used: <*>', 5],
      ],
    );
  });

  it('routes beyond maxChildren distinct leading tokens to a shared child without losing lines', () => {
    const m = createTemplateMiner({ maxChildren: 3 });
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    for (const w of words) m.add(`${w} started worker pool ${w.length}`);
    for (const w of words) m.add(`${w} started worker pool ${w.length * 10}`);
    // Past the third word the rest share the `<*>` branch; different words there still never merge.
    assert.deepEqual(
      m.templates().map((t) => [t.template, t.count]),
      words.map((w) => [`${w} started worker pool <*>`, 2]),
    );
  });

  it('gives a line of variables only its own template', () => {
    const m = createTemplateMiner();
    const a = m.add('12345');
    const b = m.add('0x1f');
    const c = m.add('ok');
    assert.equal(a.templateId, b.templateId);
    assert.equal(a.template, WILDCARD);
    assert.notEqual(c.templateId, a.templateId);
  });

  it('handles an empty line', () => {
    const m = createTemplateMiner();
    assert.equal(m.add('   ').template, '');
    assert.equal(m.add('').templateId, m.templates()[0]!.id);
  });

  it('is deterministic: the same lines give the same ids and templates', () => {
    const lines = Array.from({ length: 500 }, (_, i) => (i % 3 ? `GET /api/items/${i} status=200 took ${i}ms` : `worker ${i % 7} failed: timeout after ${i}s`));
    const run = () => {
      const m = createTemplateMiner();
      return { ids: lines.map((l) => m.add(l).templateId), templates: m.templates() };
    };
    assert.deepEqual(run(), run());
  });

  it('finds the right template in a crowded leaf (through the index) as a full scan would', () => {
    const m = createTemplateMiner();
    const word = (i: number) => `w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;
    // 60 templates under one branch (same length, same two leading tokens), each pair of words apart.
    const ids = Array.from({ length: 60 }, (_, i) => m.add(`job started ${word(i)} ${word(i + 60)} stage`).templateId);
    assert.equal(m.add('job started wxyz wzyx stage').templateId, `T${ids.length + 1}`);
    assert.equal(new Set(ids).size, 60);
    // A variable where a word was (4 of 5 constants repeat): each line joins its own template.
    for (let i = 0; i < 60; i++) {
      const r = m.add(`job started ${word(i)} ${word(i + 60)} ${i + 100}`);
      assert.equal(r.templateId, ids[i]);
      assert.equal(r.template, `job started ${word(i)} ${word(i + 60)} <*>`);
    }
    assert.equal(m.size, 61);
  });

  it('copes with 10,000 distinct templates', () => {
    const m = createTemplateMiner();
    const words = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    for (let i = 0; i < 10_000; i++) m.add(`${words(i)} ${words(i * 7 + 1)} happened ${i}`);
    assert.equal(m.size, 10_000);
  });

  it('caps the templates it keeps, evicting the least recently used', () => {
    const m = createTemplateMiner({ maxTemplates: 3 });
    const a = m.add('alpha started');
    const b = m.add('bravo started');
    m.add('charlie started');
    m.add('alpha started'); // alpha is now the most recent; bravo the least
    const d = m.add('delta started');
    assert.equal(m.size, 3);
    assert.equal(m.template(b.templateId), undefined);
    assert.deepEqual(m.templates().map((t) => t.template), ['alpha started', 'charlie started', 'delta started']);
    assert.equal(m.add('alpha started').templateId, a.templateId);
    // An evicted template's lines start a new one with a new id; ids are never reused.
    const again = m.add('bravo started');
    assert.notEqual(again.templateId, b.templateId);
    assert.equal(again.templateId, 'T5');
    assert.equal(m.size, 3);
    assert.equal(m.template(d.templateId), 'delta started');
  });

  it('stays within the cap on an unbounded stream of new templates', () => {
    const m = createTemplateMiner({ maxTemplates: 500 });
    const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    for (let i = 0; i < 20_000; i++) {
      m.add(`${word(i)} ${word(i * 7 + 1)} happened after ${i} ms`);
      if (i % 3 === 0) m.add(`${word(i)} ${word(i * 7 + 1)} more`);
    }
    assert.equal(m.size, 500);
    assert.equal(m.templates().length, 500);
    // The newest templates are the ones kept.
    assert.equal(m.templates().at(-1)!.template, `${word(19_999)} ${word(19_999 * 7 + 1)} happened after <*> ms`);
  });

  it('merges a word with a variable even among the routing tokens', () => {
    const m = createTemplateMiner();
    const word = m.add('user alice logged in from web console now');
    const number = m.add('user 42 logged in from web console now');
    assert.equal(number.templateId, word.templateId);
    assert.equal(number.template, 'user <*> logged in from web console now');
    // The generalised template is back in the tree: the next word goes straight to it.
    assert.equal(m.add('user bob logged in from web console now').templateId, word.templateId);
    assert.equal(m.size, 1);
  });

  it('finds a template spanning token counts however many newer ones share its first word', () => {
    const m = createTemplateMiner();
    const plain = m.add('conn close, 0 bytes sent');
    assert.equal(m.add('conn close, 10 bytes (1 KB) sent').templateId, plain.templateId);
    for (let i = 0; i < 40; i++) m.add(`conn w${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))} thing here ${i}`);
    const later = m.add('conn close, 99 bytes (via proxy 7) sent');
    assert.equal(later.templateId, plain.templateId);
    assert.equal(later.template, 'conn close, <*> bytes <*> sent');
  });

  it('frees the branches and families of evicted templates', () => {
    const m = createTemplateMiner({ maxTemplates: 10, cacheSize: 100 });
    const word = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    for (let i = 0; i < 2_000; i++) m.add(`${word(i)} ${word(i + 9_000)} ${'x'.repeat(i % 50)} event ${i}`);
    const settled = heap();
    for (let i = 2_000; i < 60_000; i++) m.add(`${word(i)} ${word(i + 90_000)} ${'x'.repeat(i % 50)} event ${i}`);
    assert.equal(m.size, 10);
    // 58,000 more distinct templates, each with its own branch and family, leave no trace beyond the cap.
    const grown = heap() - settled;
    assert.ok(grown < 4_000_000, `heap grew by ${grown} bytes`);
  });

  it('makes a position a variable once six templates differ only by the word there, and resolves their ids', () => {
    const m = createTemplateMiner();
    const users = ['admin', 'oracle', 'guest', 'pi', 'ubuntu'];
    const ids = users.map((u) => m.add(`Failed password for ${u} from 10.0.0.1 port 22 ssh2`).templateId);
    assert.equal(new Set(ids).size, 5);
    const sixth = m.add('Failed password for deploy from 10.0.0.2 port 22 ssh2');
    assert.equal(sixth.templateId, ids[0]);
    assert.equal(sixth.template, 'Failed password for <*> from <*> port <*> ssh2');
    assert.deepEqual(ids.map((id) => m.resolve(id)), ids.map(() => ids[0]));
    assert.equal(m.template(ids[3]!), sixth.template);
    assert.deepEqual(m.templates().map((t) => [t.template, t.count]), [[sixth.template, 6]]);
    // Absorbed lines come back to the survivor through the cache, and new names join it directly.
    assert.equal(m.add('Failed password for pi from 10.0.0.1 port 22 ssh2').templateId, ids[0]);
    assert.equal(m.add('Failed password for mallory from 10.0.0.3 port 22 ssh2').templateId, ids[0]);
  });

  it('keeps a closed set of words apart: four VM states are four events', () => {
    const m = createTemplateMiner();
    const ids = ['Started', 'Paused', 'Resumed', 'Stopped'].flatMap((state) => [1, 2].map((i) => m.add(`[instance: ${i}abc] VM ${state} (Lifecycle Event)`).templateId));
    assert.equal(new Set(ids).size, 4);
    assert.equal(m.resolve(ids[0]!), ids[0]);
  });
});
