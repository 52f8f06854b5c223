import type { Io } from './cli/args';
import { runCli } from './cli/main';
import { terminalText } from './cli/terminalText';

const io: Io = {
  out: (text: string) => void process.stdout.write(`${terminalText(text)}\n`),
  err: (text: string) => void process.stderr.write(`${terminalText(text)}\n`),
  // A status line rewritten in place, only when both streams are a terminal: with the output
  // going to a file, a pipe or `tee`, commands print plain progress lines into it instead.
  progress: process.stderr.isTTY && process.stdout.isTTY ? (text: string) => void process.stderr.write(`\r\x1b[2K${terminalText(text)}`) : undefined,
};

runCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
