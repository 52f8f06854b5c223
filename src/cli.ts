import { runCli } from './cli/main';

const io = {
  out: (text: string) => void process.stdout.write(`${text}\n`),
  err: (text: string) => void process.stderr.write(`${text}\n`),
};

runCli(process.argv.slice(2), io).then((code) => {
  process.exitCode = code;
});
