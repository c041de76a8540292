// Maps offsets in a preprocessed unit back to the user's source through its line markers
// (`# 12 "foo.c" 1 3`), and says which regions come from system headers (flag 3), which the
// pass leaves alone. Directive lines and comments are found by one scan (comments.ts): with `-C`
// a comment may hold lines that look like markers.
import { scanLayout } from './comments.js';
import { lastAtOrBefore } from './sorted.js';

export interface MappedPos {
  file: string;
  line: number;
  col: number;
  system: boolean;
}

interface Marker {
  offset: number; // offset of the first byte after the marker line
  line: number; // line number that byte has in `file`
  file: string;
  system: boolean;
}

const markerPattern = /^#(?:line)?[ \t]+(\d+)(?:[ \t]+"((?:[^"\\]|\\.)*)"((?:[ \t]+\d+)*))?[ \t]*$/;

function unescapeFileName(s: string): string {
  return s.replace(/\\(.)/g, '$1');
}

export class LineMap {
  private readonly markers: Marker[] = [];
  private readonly lineStarts: number[] = [0];
  /** Byte ranges [start, end) of directive lines (markers, pragmas, idents) in the text. */
  readonly directiveLines: Array<[number, number]>;
  /** Byte ranges [start, end) of comments (the unit was preprocessed with -C). */
  readonly comments: Array<[number, number]>;

  constructor(
    private readonly text: string,
    defaultFile: string,
  ) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    const layout = scanLayout(text);
    this.directiveLines = layout.directiveLines;
    this.comments = layout.comments;
    let file = defaultFile;
    let system = false;
    const systemFiles = new Set<string>();
    this.markers.push({ offset: 0, line: 1, file, system });
    for (const [start, end] of this.directiveLines) {
      // A marker is `# N` or `#line N`: skip the rest (-dD's thousands of #define lines) at a glance.
      const second = text.charCodeAt(start + 1);
      if (second !== 32 && second !== 9 && second !== 108 /* l */) continue;
      const m = markerPattern.exec(text.slice(start, end));
      if (!m) continue;
      if (m[2] !== undefined) {
        file = unescapeFileName(m[2]);
        const flags = (m[3] ?? '').trim().split(/\s+/);
        if (flags.includes('1') || flags.includes('2')) {
          // Entering or returning to a file: its flag says what the file is.
          system = flags.includes('3');
          if (system) systemFiles.add(file);
          else systemFiles.delete(file);
        } else {
          // gcc also marks tokens from a system header's macro expanded in user code
          // (`# 4 "user.c" 3 4` before `_Bool` from `bool`): that is still the user's code.
          system = flags.includes('3') && systemFiles.has(file);
        }
      }
      this.markers.push({ offset: Math.min(end + 1, text.length), line: Number(m[1]), file, system });
    }
  }

  private lineIndexOf(offset: number): number {
    return lastAtOrBefore(this.lineStarts.length, (i) => this.lineStarts[i]!, offset);
  }

  private markerAt(offset: number): Marker {
    return this.markers[lastAtOrBefore(this.markers.length, (i) => this.markers[i]!.offset, offset)]!;
  }

  map(offset: number): MappedPos {
    const marker = this.markerAt(offset);
    const lineIdx = this.lineIndexOf(offset);
    const markerLineIdx = this.lineIndexOf(marker.offset);
    return {
      file: marker.file,
      line: marker.line + (lineIdx - markerLineIdx),
      col: offset - this.lineStarts[lineIdx]! + 1,
      system: marker.system,
    };
  }

  /** The 0-based row and column of an offset (tree-sitter's Point). */
  point(offset: number): { row: number; column: number } {
    const row = this.lineIndexOf(offset);
    return { row, column: offset - this.lineStarts[row]! };
  }

  isSystem(offset: number): boolean {
    return this.markerAt(offset).system;
  }

  /** The byte ranges [start, end) of the text that are not from system headers, in order. */
  userRegions(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    this.markers.forEach((m, i) => {
      const end = i + 1 < this.markers.length ? this.markers[i + 1]!.offset : this.text.length;
      if (m.system || end <= m.offset) return;
      const last = out[out.length - 1];
      if (last && last[1] === m.offset) last[1] = end;
      else out.push([m.offset, end]);
    });
    return out;
  }

  /** The first marker line of the unit (`# 0 "foo.c"`), which names the main file. */
  firstLineEnd(): number {
    const first = this.directiveLines[0];
    if (!first || first[0] !== 0) return -1;
    // With -g, gcc follows with the compilation directory as `# 0 "/cwd//"`: keep the pair together.
    const second = this.directiveLines[1];
    if (second && second[0] === first[1] + 1 && /^# \d+ ".*\/\/"\s*$/.test(this.text.slice(second[0], second[1]))) return second[1];
    return first[1];
  }
}
