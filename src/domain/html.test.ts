import { describe, expect, it } from 'vitest';
import { safeHref, sanitizeHtml } from './html.ts';

describe('sanitizeHtml', () => {
  it('keeps the allowed tags and text, without attributes', () => {
    expect(
      sanitizeHtml(
        '<p class="x" onclick="alert(1)">Привет, <b>мир</b><br/><em>и</em> <strong>все</strong></p>',
      ),
    ).toBe('<p>Привет, <b>мир</b><br><em>и</em> <strong>все</strong></p>');
    expect(sanitizeHtml('<ul><li>один<li>два</ul><ol><li><i>три</i></li></ol>')).toBe(
      '<ul><li>один<li>два</li></li></ul><ol><li><i>три</i></li></ol>',
    );
  });

  it('keeps http(s) links, opened without a referrer, and drops every other scheme', () => {
    expect(sanitizeHtml('<a href="https://example.org/a?b=1&c=2" onmouseover="x()">ссылка</a>')).toBe(
      '<a href="https://example.org/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer nofollow">ссылка</a>',
    );
    for (const href of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(1)',
      'java\tscript:alert(1)',
      '&#106;avascript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:x',
      '//evil.example/x',
      '/relative',
    ]) {
      expect(sanitizeHtml(`<a href="${href}">x</a>`), href).toBe('<a>x</a>');
    }
    expect(safeHref(' https://ok.example/ ')).toBe('https://ok.example/');
  });

  it('drops scripts and styles with their content, and every other tag with its attributes', () => {
    expect(sanitizeHtml('a<script>alert(1)</script>b<style>p{}</style>c')).toBe('abc');
    expect(sanitizeHtml('<img src=x onerror=alert(1)>картинка')).toBe('картинка');
    expect(sanitizeHtml('<svg><script>alert(1)</script></svg>ok')).toBe('ok');
    expect(sanitizeHtml('<iframe src="https://x"></iframe>ok')).toBe('ok');
    expect(sanitizeHtml('<div><span style="color:red">текст</span></div>')).toBe('текст');
    expect(sanitizeHtml('x<!-- <script>alert(1)</script> -->y')).toBe('xy');
    expect(sanitizeHtml('<scr<script>ipt>alert(1)</script>')).toBe('ipt&gt;alert(1)');
  });

  it('escapes stray markup so the browser can parse nothing but what was written', () => {
    expect(sanitizeHtml('1 < 2 > 0 & "кавычки"')).toBe('1 &lt; 2 &gt; 0 &amp; &quot;кавычки&quot;');
    expect(sanitizeHtml('&lt;script&gt; &amp; &#169; &copy;')).toBe('&lt;script&gt; &amp; &#169; &copy;');
    expect(sanitizeHtml('<b>unclosed <i>tags')).toBe('<b>unclosed <i>tags</i></b>');
    expect(sanitizeHtml('</p></b>stray')).toBe('stray');
    expect(sanitizeHtml('<a href="https://x.example/"<b>')).toBe(
      '<a href="https://x.example/" target="_blank" rel="noopener noreferrer nofollow"></a>',
    );
    expect(sanitizeHtml('<p title=">"><script>alert(1)</script>')).toBe('<p></p>');
  });

  it('is idempotent: a stored description sanitized again is unchanged', () => {
    const inputs = [
      '<p>Супервизия <a href="https://zoom.us/j/1?pwd=a&b=c">ссылка</a> &amp; <b>всё</b></p>',
      '<ul><li>a<li>b</ul> 1 < 2',
      '<a href="javascript:x">x</a><br><script>y</script>',
    ];
    for (const input of inputs) {
      const once = sanitizeHtml(input);
      expect(sanitizeHtml(once)).toBe(once);
    }
  });
});
