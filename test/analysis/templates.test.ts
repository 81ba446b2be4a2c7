import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createTemplateMiner, MAX_TOKENS, maskLine, WILDCARD } from '../../src/analysis/templates.ts';

describe('maskLine', () => {
  const cases: [string, string][] = [
    ['took 42 ms', 'took <*> ms'],
    ['  spaced \t out   words ', 'spaced out words'],
    ['latency 1.5s and 300ms and -7', 'latency <*> and <*> and <*>'],
    ['from 10.251.73.220:50010 to [fe80::1]', 'from <*>:<*> to [<*>::<*>]'],
    ['request 3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b done', 'request <*> done'],
    ['pointer 0x7ffd5e8c and id 113d3a99c3da401fbd62cc2caa5b96d2', 'pointer <*> and id <*>'],
    ['read /var/log/app.log then ./conf/x.yaml and C:\\temp\\a.txt', 'read <*> then <*> and <*>'],
    ['GET https://example.com/a?b=1 HTTP/1.1', 'GET <*>'],
    ['user=alice action=login ok= (uid=0)', 'user=<*> action=<*> ok= (uid=<*>)'],
    ['enabled true, cached false, parent null', 'enabled <*>, cached <*>, parent <*>'],
    ['block blk_-6952295868487656571 on worker-7', 'block <*> on <*>'],
    ['proxy SOCKS5 on eth0 and ext4', 'proxy SOCKS5 on eth0 and ext4'],
    ['onExtend:1514038530000 14 0 4', 'onExtend:<*> <*>'],
    ['node R02-M1-N0-C:J12-U11 up', 'node <*>:<*> up'],
    ['host proxy.cse.cuhk.edu.hk:5070 open', 'host <*>:<*> open'],
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

  it('merges consecutive variables into one, so variable-length lists share a template', () => {
    assert.equal(maskLine('delete blocks 1 2 3 4 5 now'), 'delete blocks <*> now');
    assert.equal(maskLine('delete blocks 9 now'), 'delete blocks <*> now');
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

  it('turns a differing word into <*> once enough of the template matches', () => {
    const m = createTemplateMiner();
    const first = m.add('payment authorized for customer alice via card');
    const second = m.add('payment authorized for customer bob via card');
    assert.equal(second.templateId, first.templateId);
    assert.equal(second.template, 'payment authorized for customer <*> via card');
    assert.equal(m.template(first.templateId), 'payment authorized for customer <*> via card');
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
        ['[instance: <*>] Total memory: <*> MB, used: <*> MB', 5],
        ['[instance: <*>] memory limit: <*> MB, free: <*> MB', 5],
        ['[instance: <*>] Total disk: <*> GB, used: <*> GB', 5],
      ],
    );
  });

  it('routes beyond maxChildren distinct leading tokens to a shared child without losing lines', () => {
    const m = createTemplateMiner({ maxChildren: 3 });
    const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot'];
    for (const w of words) m.add(`${w} started worker pool`);
    for (const w of words) m.add(`${w} started worker pool`);
    const total = m.templates().reduce((n, t) => n + t.count, 0);
    assert.equal(total, 12);
    // The first three words have their own branch; the rest share the `<*>` branch and merge.
    assert.deepEqual(
      m.templates().map((t) => t.template),
      ['alpha started worker pool', 'bravo started worker pool', 'charlie started worker pool', '<*> started worker pool'],
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
    assert.equal(new Set(ids).size, 60);
    // One word off (4 of 5 constants repeat): each line joins its own template.
    for (let i = 0; i < 60; i++) {
      const r = m.add(`job started ${word(i)} ${word(i + 60)} phase`);
      assert.equal(r.templateId, ids[i]);
      assert.equal(r.template, `job started ${word(i)} ${word(i + 60)} <*>`);
    }
    assert.equal(m.size, 60);
  });

  it('copes with 10,000 distinct templates', () => {
    const m = createTemplateMiner();
    const words = (i: number) => i.toString(26).replace(/\d/g, (d) => 'qrstuvwxyz'[Number(d)]!);
    for (let i = 0; i < 10_000; i++) m.add(`${words(i)} ${words(i * 7 + 1)} happened ${i}`);
    assert.equal(m.size, 10_000);
  });
});
