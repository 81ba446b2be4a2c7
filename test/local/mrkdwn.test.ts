import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeEntities,
  escapeHtml,
  renderMrkdwn,
  renderPlain,
  safeUrl,
} from '../../src/local/page/mrkdwn.js';

const ctx = {
  users: new Map([
    ['U001', 'alice'],
    ['UBOT', 'incident-crew'],
    ['UEVIL', '<img src=x onerror=alert(1)>'],
  ]),
  channels: { C001: 'incidents', C002: 'general' },
};

const md = (text: string) => renderMrkdwn(text, ctx);

/** No tag other than the ones this renderer is allowed to produce. */
function assertOnlyKnownTags(html: string) {
  const allowed = new Set(['a', 'b', 'i', 's', 'code', 'pre', 'blockquote', 'br', 'span']);
  for (const match of html.matchAll(/<\/?([a-zA-Z0-9-]+)/g)) {
    assert.ok(allowed.has(match[1]!.toLowerCase()), `unexpected tag <${match[1]}> in ${html}`);
  }
}

describe('escaping and entities', () => {
  test('escapeHtml escapes all five special characters', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });

  test('decodeEntities decodes only Slack entities, in a single pass', () => {
    assert.equal(decodeEntities('&lt;b&gt; &amp; &quot;'), '<b> & &quot;');
    assert.equal(decodeEntities('&amp;lt;'), '&lt;');
  });

  test('plain text is decoded then re-escaped', () => {
    assert.equal(md('a &lt; b &amp;&amp; c &gt; d'), 'a &lt; b &amp;&amp; c &gt; d');
  });

  test('double-escaped entity stays visibly escaped', () => {
    // "&amp;lt;" in raw text means the user literally typed "&lt;".
    assert.equal(md('&amp;lt;b&amp;gt;'), '&amp;lt;b&amp;gt;');
  });

  test('quotes and apostrophes are escaped', () => {
    assert.equal(md(`it's "fine"`), 'it&#39;s &quot;fine&quot;');
  });

  test('empty and nullish input', () => {
    assert.equal(md(''), '');
    assert.equal(renderMrkdwn(undefined as unknown as string), '');
  });
});

describe('escaped control sequences stay literal text', () => {
  test('escaped <!channel> is text, not a ping', () => {
    const html = md('&lt;!channel&gt; please look');
    assert.equal(html, '&lt;!channel&gt; please look');
    assert.ok(!html.includes('mention'));
    assert.ok(!html.includes('<span'));
  });

  test('escaped <!here> and <!everyone> are text', () => {
    assert.equal(md('&lt;!here&gt; &lt;!everyone&gt;'), '&lt;!here&gt; &lt;!everyone&gt;');
  });

  test('escaped <@U001> is text, not a mention', () => {
    assert.equal(md('&lt;@U001&gt;'), '&lt;@U001&gt;');
  });

  test('escaped <http://x|y> is text, not a link', () => {
    const html = md('&lt;http://x|y&gt;');
    assert.equal(html, '&lt;http://x|y&gt;');
    assert.ok(!html.includes('<a'));
    assert.ok(!html.includes('href'));
  });

  test('escaped link inside formatting is still text', () => {
    assert.equal(md('*&lt;https://evil.example|click&gt;*'), '<b>&lt;https://evil.example|click&gt;</b>');
  });
});

describe('links', () => {
  test('labelled http link', () => {
    assert.equal(md('<http://x|y>'), '<a href="http://x" target="_blank" rel="noopener">y</a>');
  });

  test('bare https link shows the URL', () => {
    assert.equal(
      md('see <https://example.com/runbook>'),
      'see <a href="https://example.com/runbook" target="_blank" rel="noopener">https://example.com/runbook</a>',
    );
  });

  test('entities in the URL are decoded once and re-escaped in the attribute', () => {
    assert.equal(
      md('<https://x.example/?a=1&amp;b=2|q>'),
      '<a href="https://x.example/?a=1&amp;b=2" target="_blank" rel="noopener">q</a>',
    );
  });

  test('mailto link; without a label shows the address', () => {
    assert.equal(md('<mailto:sre@example.com|mail us>'), '<a href="mailto:sre@example.com" target="_blank" rel="noopener">mail us</a>');
    assert.equal(md('<mailto:sre@example.com>'), '<a href="mailto:sre@example.com" target="_blank" rel="noopener">sre@example.com</a>');
  });

  test('label with markup characters is escaped', () => {
    assert.equal(
      md('<https://x.example|&lt;b&gt;bold&lt;/b&gt;>'),
      '<a href="https://x.example" target="_blank" rel="noopener">&lt;b&gt;bold&lt;/b&gt;</a>',
    );
  });

  test('label keeps everything after the first pipe', () => {
    assert.equal(md('<https://x.example|a|b>'), '<a href="https://x.example" target="_blank" rel="noopener">a|b</a>');
  });

  test('javascript: scheme is rejected, label shown as text', () => {
    const html = md('<javascript:alert(1)|click me>');
    assert.equal(html, 'click me');
    assert.ok(!html.includes('href'));
  });

  test('javascript: scheme without a label is shown literally', () => {
    assert.equal(md('<javascript:alert(1)>'), '&lt;javascript:alert(1)&gt;');
  });

  test('mixed-case and other schemes are rejected', () => {
    for (const url of ['JaVaScRiPt:alert(1)', 'data:text/html,<b>', 'vbscript:x', 'file:///etc/passwd', 'ftp://x.example', '//x.example']) {
      const html = md(`<${url}|x>`);
      assert.ok(!html.includes('<a'), `${url} rendered as a link: ${html}`);
    }
  });

  test('quote in a URL cannot break out of the href attribute', () => {
    const html = md('<https://x.example/"onmouseover="alert(1)|x>');
    assert.equal(html, '<a href="https://x.example/&quot;onmouseover=&quot;alert(1)" target="_blank" rel="noopener">x</a>');
  });

  test('URL with whitespace is rejected', () => {
    assert.equal(md('<https://x.example/a b|x>'), 'x');
  });

  test('bold link', () => {
    assert.equal(md('*<http://x|l>*'), '<b><a href="http://x" target="_blank" rel="noopener">l</a></b>');
  });

  test('formatting characters inside a URL do not format', () => {
    assert.equal(
      md('<https://x.example/a_b_c/*d*|x>'),
      '<a href="https://x.example/a_b_c/*d*" target="_blank" rel="noopener">x</a>',
    );
  });
});

describe('mentions', () => {
  test('user mention uses the name from ctx (Map)', () => {
    assert.equal(md('hi <@U001>'), 'hi <span class="mention" data-user-id="U001">@alice</span>');
  });

  test('user tables may be plain objects', () => {
    assert.equal(
      renderMrkdwn('<@U9>', { users: { U9: 'bob' } }),
      '<span class="mention" data-user-id="U9">@bob</span>',
    );
  });

  test('unknown user falls back to the label, then the id', () => {
    assert.equal(md('<@U404|carol>'), '<span class="mention" data-user-id="U404">@carol</span>');
    assert.equal(md('<@U404>'), '<span class="mention" data-user-id="U404">@U404</span>');
  });

  test('object lookups do not reach the prototype', () => {
    assert.equal(
      renderMrkdwn('<@constructor>', { users: {} }),
      '<span class="mention" data-user-id="constructor">@constructor</span>',
    );
  });

  test('user names are escaped', () => {
    assert.equal(md('<@UEVIL>'), '<span class="mention" data-user-id="UEVIL">@&lt;img src=x onerror=alert(1)&gt;</span>');
  });

  test('channel mentions', () => {
    assert.equal(md('<#C001>'), '<span class="channel-ref" data-channel-ref="C001">#incidents</span>');
    assert.equal(md('<#C999|ops>'), '<span class="channel-ref" data-channel-ref="C999">#ops</span>');
    assert.equal(md('<#C999>'), '<span class="channel-ref" data-channel-ref="C999">#C999</span>');
  });

  test('broadcast pings', () => {
    assert.equal(md('<!channel>'), '<span class="mention ping">@channel</span>');
    assert.equal(md('<!here>'), '<span class="mention ping">@here</span>');
    assert.equal(md('<!here|here>'), '<span class="mention ping">@here</span>');
    assert.equal(md('<!everyone>'), '<span class="mention ping">@everyone</span>');
  });

  test('user group mention', () => {
    assert.equal(md('<!subteam^S123|@sre-oncall>'), '<span class="mention">@sre-oncall</span>');
    assert.equal(md('<!subteam^S123>'), '<span class="mention">@S123</span>');
  });

  test('user group mention without a label shows the known handle, escaped', () => {
    const subteams = new Map([['S0ONCALL', 'oncall'], ['S0EVIL', '<b>x']]);
    assert.equal(renderMrkdwn('<!subteam^S0ONCALL>', { subteams }), '<span class="mention">@oncall</span>');
    assert.equal(renderMrkdwn('<!subteam^S0EVIL>', { subteams }), '<span class="mention">@&lt;b&gt;x</span>');
    assert.equal(renderMrkdwn('<!subteam^S0ONCALL|@pager>', { subteams }), '<span class="mention">@pager</span>');
  });

  test('date renders the fallback text', () => {
    assert.equal(md('due <!date^1700000000^{date_short_pretty} at {time}|Nov 14, 2023 10:13 PM>'), 'due Nov 14, 2023 10:13 PM');
  });

  test('date without fallback renders an ISO timestamp', () => {
    assert.equal(md('<!date^1700000000^{date}>'), '2023-11-14T22:13:20.000Z');
  });

  test('unknown special command shows its label or the literal sequence', () => {
    assert.equal(md('<!foo|bar>'), 'bar');
    assert.equal(md('<!foo>'), '&lt;!foo&gt;');
  });
});

describe('HTML injection', () => {
  test('raw script tag never produces a script element', () => {
    const html = md('<script>alert(1)</script>');
    assert.ok(!/<script/i.test(html), html);
    assert.equal(html, '&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('escaped script tag is visible text', () => {
    assert.equal(md('&lt;script&gt;alert(1)&lt;/script&gt;'), '&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  test('unterminated control sequence is escaped', () => {
    assert.equal(md('a <b c'), 'a &lt;b c');
    assert.equal(md('a > b'), 'a &gt; b');
  });

  test('nested brackets', () => {
    const html = md('<http://x|<img src=x onerror=alert(1)>>');
    assertOnlyKnownTags(html);
    assert.ok(!html.includes('<img'), html);
  });

  test('placeholder characters in the input cannot smuggle markup', () => {
    const html = md('\uE0000\uE001 <http://x|y> \uE0001\uE001');
    assert.equal(html, '0 <a href="http://x" target="_blank" rel="noopener">y</a> 1');
  });

  test('formatting around hostile text stays escaped', () => {
    const html = md('*<img src=x>* _"onload="_ `</code><script>` ```</pre><iframe>```');
    assertOnlyKnownTags(html);
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('<script'));
    assert.ok(!html.includes('<iframe'));
  });

  test('a batch of hostile inputs only ever yields known tags', () => {
    const inputs = [
      '<a href="javascript:alert(1)">x</a>',
      '<https://ok.example|<b>>',
      '"><svg onload=alert(1)>',
      '<@U001|"><img src=x>>',
      '<#C404|"><img src=x>>',
      '<!subteam^S1|"><img>>',
      '<!date^1^x|<img>>',
      '&lt;img src=x onerror=alert(1)&gt;',
      '```<pre>```',
      '> <blockquote>',
    ];
    for (const input of inputs) assertOnlyKnownTags(md(input));
  });

  test('mention labels are escaped', () => {
    assert.equal(md('<@U404|&lt;b&gt;>'), '<span class="mention" data-user-id="U404">@&lt;b&gt;</span>');
  });
});

describe('formatting', () => {
  test('bold, italic, strike', () => {
    assert.equal(md('*bold* _italic_ ~strike~'), '<b>bold</b> <i>italic</i> <s>strike</s>');
  });

  test('single-character spans', () => {
    assert.equal(md('*a* _b_ ~c~'), '<b>a</b> <i>b</i> <s>c</s>');
  });

  test('nested styles', () => {
    assert.equal(md('*_both_*'), '<b><i>both</i></b>');
    assert.equal(md('_a *b* c_'), '<i>a <b>b</b> c</i>');
  });

  test('crossed markers keep tags properly nested', () => {
    assert.equal(md('*a _b* c_'), '<b>a _b</b> c_');
  });

  test('markers inside words are literal', () => {
    assert.equal(md('snake_case_name and 2*3*4 and a~b~c'), 'snake_case_name and 2*3*4 and a~b~c');
  });

  test('markers next to spaces are literal', () => {
    assert.equal(md('* not bold * and _ not italic _'), '* not bold * and _ not italic _');
  });

  test('styles do not span lines', () => {
    assert.equal(md('*a\nb*'), '*a<br>b*');
  });

  test('punctuation around styles', () => {
    assert.equal(md('(*bold*), "_it_".'), '(<b>bold</b>), &quot;<i>it</i>&quot;.');
  });

  test('inline code is not formatted further', () => {
    assert.equal(md('run `rm *.tmp_a_`'), 'run <code>rm *.tmp_a_</code>');
  });

  test('inline code escapes its contents', () => {
    assert.equal(md('`a &lt; b`'), '<code>a &lt; b</code>');
  });

  test('preformatted block keeps newlines and skips formatting', () => {
    assert.equal(md('```line *1*\nline _2_```'), '<pre class="pre">line *1*\nline _2_</pre>');
  });

  test('preformatted block on its own lines', () => {
    assert.equal(md('before\n```\ncode\n```\nafter'), 'before<pre class="pre">code</pre>after');
  });

  test('blockquote lines are grouped', () => {
    assert.equal(md('&gt; one\n&gt; *two*\nthree'), '<blockquote>one<br><b>two</b></blockquote>three');
  });

  test('text before a blockquote', () => {
    assert.equal(md('said:\n&gt; hi'), 'said:<blockquote>hi</blockquote>');
  });

  test('a ">" in the middle of a line is not a quote', () => {
    assert.equal(md('p99 &gt; 2s'), 'p99 &gt; 2s');
  });

  test('newlines become <br>', () => {
    assert.equal(md('a\nb\n\nc'), 'a<br>b<br><br>c');
  });

  test('unicode emoji pass through and known shortcodes are mapped', () => {
    assert.equal(md('🔥 :fire: :rotating_light: :not_an_emoji:'), '🔥 🔥 🚨 :not_an_emoji:');
  });

  test('shortcodes with underscores are not treated as italics', () => {
    assert.equal(md(':white_check_mark: done'), '✅ done');
  });

  test('mentions and links inside formatting', () => {
    assert.equal(
      md('_ping <@U001>_ *<!here>*'),
      '<i>ping <span class="mention" data-user-id="U001">@alice</span></i> <b><span class="mention ping">@here</span></b>',
    );
  });

  test('a realistic bot message', () => {
    assert.equal(
      md(':rotating_light: *INC-42* declared by <@U001> in <#C001>\n&gt; checkout latency &gt; 2s\nRunbook: <https://wiki.example/rb?id=1&amp;v=2|checkout runbook>'),
      '🚨 <b>INC-42</b> declared by <span class="mention" data-user-id="U001">@alice</span> in ' +
        '<span class="channel-ref" data-channel-ref="C001">#incidents</span>' +
        '<blockquote>checkout latency &gt; 2s</blockquote>' +
        'Runbook: <a href="https://wiki.example/rb?id=1&amp;v=2" target="_blank" rel="noopener">checkout runbook</a>',
    );
  });
});

describe('renderPlain', () => {
  test('escapes markup and does not interpret mrkdwn', () => {
    assert.equal(renderPlain('<b>*hi*</b> & <!channel>'), '&lt;b&gt;*hi*&lt;/b&gt; &amp; &lt;!channel&gt;');
  });

  test('does not decode entities (plain_text is literal)', () => {
    assert.equal(renderPlain('&lt;'), '&amp;lt;');
  });

  test('maps known emoji shortcodes', () => {
    assert.equal(renderPlain(':fire: Incident'), '🔥 Incident');
  });
});

describe('safeUrl', () => {
  test('allows http, https, mailto', () => {
    assert.equal(safeUrl('https://x.example/a'), 'https://x.example/a');
    assert.equal(safeUrl(' http://x.example '), 'http://x.example');
    assert.equal(safeUrl('mailto:a@b.example'), 'mailto:a@b.example');
  });

  test('rejects other schemes and malformed URLs', () => {
    for (const url of ['javascript:alert(1)', ' JAVASCRIPT:alert(1)', 'data:image/png;base64,AA', '/relative', 'http:/x', 'http://', 'https://a\nb', 'https://a\u0000b', '']) {
      assert.equal(safeUrl(url), null, url);
    }
  });

  test('custom scheme list', () => {
    assert.equal(safeUrl('mailto:a@b.example', ['http:', 'https:']), null);
    assert.equal(safeUrl('https://img.example/x.png', ['http:', 'https:']), 'https://img.example/x.png');
  });
});
