// Small helpers for reading log files as text: offsets to 1-based lines, and telling text from
// binary before a parser drowns the user in syntax errors.

/** Offsets at which each line starts; "\n", "\r\n" and a lone "\r" all end a line, as in editors. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) starts.push(i + 1);
  }
  return starts;
}

/** 1-based line holding `offset`, given the result of lineStarts. */
export function lineAt(starts: readonly number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** How many leading bytes are inspected; a NUL there means the file is not UTF-8 text. */
export const BINARY_SNIFF_BYTES = 1024;

export type BinaryVerdict = 'text' | 'binary' | 'utf16' | 'lfs-pointer';

/** Every Git LFS pointer file starts with this line (git-lfs spec v1). */
const LFS_POINTER_HEAD = 'version https://git-lfs.github.com/spec/';

/** UTF-16 is text, but not in a form the readers parse: it is told apart so the message can say how to fix it. */
export function sniffBinary(head: Uint8Array): BinaryVerdict {
  if (head.length >= 2 && ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff))) return 'utf16';
  const n = Math.min(head.length, BINARY_SNIFF_BYTES);
  for (let i = 0; i < n; i++) if (head[i] === 0) return 'binary';
  // A repository cloned without `git lfs pull` holds a 130-byte pointer where the log should be.
  if (head.length >= LFS_POINTER_HEAD.length && Buffer.from(head.subarray(0, LFS_POINTER_HEAD.length)).toString('latin1') === LFS_POINTER_HEAD) return 'lfs-pointer';
  return 'text';
}

export function binaryMessage(verdict: Exclude<BinaryVerdict, 'text'>, name: string): string {
  if (verdict === 'lfs-pointer') return `${name} is a Git LFS pointer, not the file itself: run \`git lfs pull\` to fetch it`;
  return verdict === 'utf16'
    ? `${name} is UTF-16 encoded; save it as UTF-8 to have it read`
    : `${name} is not a text file (NUL bytes in its first ${BINARY_SNIFF_BYTES} bytes); not read`;
}

/** The diagnostic code for a file the sniff rejected. */
export function verdictCode(verdict: Exclude<BinaryVerdict, 'text'>): 'binary' | 'lfs-pointer' {
  return verdict === 'lfs-pointer' ? 'lfs-pointer' : 'binary';
}

/** The head of a UTF-16 file (after its byte-order mark) as text, to tell what it would be if saved as UTF-8. */
export function decodeUtf16(head: Buffer): string {
  const bigEndian = head[0] === 0xfe && head[1] === 0xff;
  try {
    return new TextDecoder(bigEndian ? 'utf-16be' : 'utf-16le').decode(head.subarray(2, head.length - (head.length % 2)));
  } catch {
    return '';
  }
}
