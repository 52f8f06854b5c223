// User-given text (run names and ids, file names, config keys, tokenizer names, readers' reasons
// that quote a file) as inert Markdown: the one escaping every Markdown surface uses (the Runs
// view's tooltips, config hovers, the fit report). Without it a run named
// `x](https://evil.example) ![i](https://evil.example/i.png) | col` puts a link and an image
// that loads by itself into a tooltip, and a `|` splits a table cell. VS Code renders untrusted
// MarkdownStrings' links and https images; trust (command links) and HTML stay off as well:
// nothing here relies on them.

/**
 * Characters that start Markdown or HTML constructs anywhere in a line: escapes, code spans,
 * emphasis, links and images (the brackets), raw HTML and autolinks, table cells, headings,
 * strikethrough, math ($, rendered by VS Code's Markdown preview), and entity references.
 * An underscore between two letters or digits (D_crit, run_12) is left as written: CommonMark
 * never opens or closes emphasis there (it does around a `*`, so every `*` is escaped).
 * `(`, `)` and `!` are left as written: they make a link or an image only after `[...]`, and
 * with the brackets escaped they cannot, so sentences read as written in the raw report.md too.
 */
const INLINE_SPECIAL = /[\\`*[\]<>|#~$&]/g;
/** An underscore not between two letters or digits. */
const EMPHASIS_UNDERSCORE = /(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu;

/**
 * `text` as literal Markdown text, for a sentence or a table cell: each special character
 * backslash-escaped (CommonMark renders `\x` as x for any ASCII punctuation), line breaks
 * (which would end a table row or start a block) made spaces, and the bare-URL autolinks of
 * GFM (`https://`, `www.`, e-mail addresses) broken by escaping their `:`, `.` or `@`. A
 * renderer that links bare domain names (markdown-it's linkify) may still show `evil.com` as a
 * link to itself: its text is its target, nothing is hidden and nothing loads.
 */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/\r\n|[\r\n\u2028\u2029]/g, ' ')
      .replace(INLINE_SPECIAL, '\\$&')
      .replace(EMPHASIS_UNDERSCORE, '\\_')
      .replace(/:(?=\/\/)/g, '\\:')
      .replace(/\b(www)\./gi, '$1\\.')
      .replace(/@/g, '\\@')
      // At the start of a line (a list item's text) "- ", "+ " and "1. " start a list; "-0.5" does not.
      .replace(/^(\s*)([-+])(?=\s|$)/, '$1\\$2')
      .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
  );
}

/**
 * `text` for a notification (window.show*Message): VS Code renders `[label](target)` there as a
 * link, command: targets included, and nothing else of Markdown, so backslashes would show. A
 * space between `]` and `(` breaks every such link and reads the same; use it on any message
 * that quotes a file or a setting (a reader's reason, a settings problem).
 */
export function notificationText(text: string): string {
  return text.replace(/\]\s*\(/g, '] (');
}
