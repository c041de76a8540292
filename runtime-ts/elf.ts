// Just enough ELF to find a section's bytes in a shared library or executable: 64-bit
// little-endian files (x86-64, aarch64, riscv64...), section headers and their name table.
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';

export class ElfError extends Error {
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = 'ElfError';
  }
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, offset + done);
    if (n === 0) break;
    done += n;
  }
  return done === length ? buf : buf.subarray(0, done);
}

export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
}

/** The sections of an ELF file (64-bit little-endian only). */
export function elfSections(file: string): ElfSection[] {
  const fd = openSync(file, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const ident = readAt(fd, 0, 64);
    if (ident.length < 64 || ident.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(file, 'not an ELF file');
    if (ident[4] !== 2) throw new ElfError(file, 'not a 64-bit ELF file (only ELFCLASS64 is supported)');
    if (ident[5] !== 1) throw new ElfError(file, 'not a little-endian ELF file');
    const shoff = Number(ident.readBigUInt64LE(0x28));
    const shentsize = ident.readUInt16LE(0x3a);
    let shnum = ident.readUInt16LE(0x3c);
    let shstrndx = ident.readUInt16LE(0x3e);
    if (shoff === 0) return [];
    if (shentsize < 64) throw new ElfError(file, `bad section header size ${shentsize}`);
    // Extended numbering: counts that do not fit live in section header 0.
    if (shnum === 0 || shstrndx === 0xffff) {
      const first = readAt(fd, shoff, 64);
      if (shnum === 0) shnum = Number(first.readBigUInt64LE(0x20));
      if (shstrndx === 0xffff) shstrndx = first.readUInt32LE(0x28);
    }
    if (shoff + shnum * shentsize > fileSize) throw new ElfError(file, 'truncated section header table');
    const table = readAt(fd, shoff, shnum * shentsize);
    const raw = [];
    for (let i = 0; i < shnum; i++) {
      const b = i * shentsize;
      raw.push({
        nameOff: table.readUInt32LE(b),
        type: table.readUInt32LE(b + 4),
        flags: Number(table.readBigUInt64LE(b + 8)),
        addr: Number(table.readBigUInt64LE(b + 0x10)),
        offset: Number(table.readBigUInt64LE(b + 0x18)),
        size: Number(table.readBigUInt64LE(b + 0x20)),
      });
    }
    const strtab = raw[shstrndx];
    const names = strtab ? readAt(fd, strtab.offset, strtab.size) : Buffer.alloc(0);
    return raw.map((s) => {
      const end = names.indexOf(0, s.nameOff);
      return { name: names.toString('latin1', s.nameOff, end < 0 ? names.length : end), type: s.type, flags: s.flags, addr: s.addr, offset: s.offset, size: s.size };
    });
  } finally {
    closeSync(fd);
  }
}

const SHT_NOBITS = 8;

/** The contents of the named section, or null when the file has no such section. */
export function readElfSection(file: string, name: string): { bytes: Buffer; addr: number } | null {
  const s = elfSections(file).find((x) => x.name === name);
  if (!s) return null;
  if (s.type === SHT_NOBITS) return { bytes: Buffer.alloc(s.size), addr: s.addr };
  const fd = openSync(file, 'r');
  try {
    const bytes = readAt(fd, s.offset, s.size);
    if (bytes.length !== s.size) throw new ElfError(file, `section ${name} is truncated`);
    return { bytes, addr: s.addr };
  } finally {
    closeSync(fd);
  }
}

/**
 * Names the file's dynamic symbol table defines (what dlsym can find in a shared library), or null
 * when it has none (an executable or object without exports).
 */
export function elfExportedSymbols(file: string): Set<string> | null {
  const sections = elfSections(file);
  const dynsym = sections.find((s) => s.name === '.dynsym');
  const dynstr = sections.find((s) => s.name === '.dynstr');
  if (!dynsym || !dynstr) return null;
  const syms = readElfSection(file, '.dynsym')!.bytes;
  const strs = readElfSection(file, '.dynstr')!.bytes;
  const out = new Set<string>();
  for (let o = 0; o + 24 <= syms.length; o += 24) {
    const nameOff = syms.readUInt32LE(o);
    const info = syms[o + 4]!;
    const shndx = syms.readUInt16LE(o + 6);
    if (shndx === 0 || info >> 4 === 0) continue; // undefined, or STB_LOCAL
    const end = strs.indexOf(0, nameOff);
    out.add(strs.toString('utf8', nameOff, end < 0 ? strs.length : end));
  }
  return out;
}
