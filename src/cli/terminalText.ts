// What the CLI prints, made safe for a terminal: run names, file names and readers' messages
// come from the workspace, and a run named with escape sequences ("\x1b]8;;http://…", "\x1b[2J",
// a carriage return) would move the cursor, rewrite earlier lines or plant hyperlinks in the
// user's terminal. Control characters other than the line break and the tab are shown as
// escapes instead; the CLI itself writes no colours or cursor movement except the progress line,
// which adds its own after this.

// C0 controls except \t (9) and \n (10), DEL, and the C1 controls (which some terminals obey).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `text` with every control character but \n and \t written as a visible \u escape. */
export function terminalText(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
