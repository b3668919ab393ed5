// A small assembler from WebAssembly text (WAT) to binary, for the CPU reference's hot loops:
// typed-array loops in JavaScript pay a bounds check and an index computation per load, which
// WebAssembly does not. Only the subset those loops use is accepted, and anything else is an
// error naming the token: one imported memory, functions with named params and locals, the
// folded form `(op immediates operands…)` or the flat form, blocks without results.
// Reference: the WebAssembly core specification, sections 5 (binary) and 6 (text).

type ValueType = 'i32' | 'f64';
const VALUE_TYPE: Record<ValueType, number> = { i32: 0x7f, f64: 0x7c };

/** Opcodes without immediates. */
const PLAIN: Record<string, number[]> = {
  return: [0x0f],
  drop: [0x1a],
  select: [0x1b],
  'i32.eqz': [0x45],
  'i32.eq': [0x46],
  'i32.ne': [0x47],
  'i32.lt_s': [0x48],
  'i32.lt_u': [0x49],
  'i32.gt_s': [0x4a],
  'i32.gt_u': [0x4b],
  'i32.le_s': [0x4c],
  'i32.le_u': [0x4d],
  'i32.ge_s': [0x4e],
  'i32.ge_u': [0x4f],
  'f64.eq': [0x61],
  'f64.ne': [0x62],
  'f64.lt': [0x63],
  'f64.gt': [0x64],
  'f64.le': [0x65],
  'f64.ge': [0x66],
  'i32.add': [0x6a],
  'i32.sub': [0x6b],
  'i32.mul': [0x6c],
  'i32.and': [0x71],
  'i32.or': [0x72],
  'i32.xor': [0x73],
  'i32.shl': [0x74],
  'i32.shr_s': [0x75],
  'i32.shr_u': [0x76],
  'f64.abs': [0x99],
  'f64.neg': [0x9a],
  'f64.sqrt': [0x9f],
  'f64.add': [0xa0],
  'f64.sub': [0xa1],
  'f64.mul': [0xa2],
  'f64.div': [0xa3],
  'f64.min': [0xa4],
  'f64.max': [0xa5],
  'f64.copysign': [0xa6],
  'f64.convert_i32_s': [0xb7],
  'i32.trunc_sat_f64_s': [0xfc, 0x02],
};

/** Loads and stores: opcode and natural alignment (log2 of the access size). */
const MEMORY: Record<string, [number, number]> = {
  'i32.load': [0x28, 2],
  'f64.load': [0x2b, 3],
  'i32.store': [0x36, 2],
  'f64.store': [0x39, 3],
};

const BLOCK = 0x02;
const LOOP = 0x03;
const IF = 0x04;
const ELSE = 0x05;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const CALL = 0x10;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const F64_CONST = 0x44;
const EMPTY_BLOCK = 0x40;

type Node = string | Node[];

export class WatError extends Error {}

/** The binary module for `source`, a `(module …)` in the subset described above. */
export function assemble(source: string): Uint8Array<ArrayBuffer> {
  const nodes = parse(source);
  const module = nodes[0];
  if (nodes.length !== 1 || !Array.isArray(module) || module[0] !== 'module') {
    throw new WatError('WAT: the source must be one (module …)');
  }
  const fields = module.slice(1).map((field) => {
    if (!Array.isArray(field)) throw new WatError(`WAT: unexpected '${field}' in module`);
    return field;
  });
  let memoryImport: Node[] | null = null;
  const funcs: Node[][] = [];
  for (const field of fields) {
    if (field[0] === 'import') memoryImport = field;
    else if (field[0] === 'func') funcs.push(field);
    else throw new WatError(`WAT: unsupported module field '${String(field[0])}'`);
  }
  const signatures = funcs.map(signature);
  const funcIndex = new Map<string, number>();
  signatures.forEach((s, i) => {
    if (s.name !== null) funcIndex.set(s.name, i);
  });

  const types: number[][] = [];
  const typeOf = signatures.map((s) => {
    const bytes = [0x60, ...vector(s.params.map((p) => VALUE_TYPE[p.type]))];
    bytes.push(...vector(s.results.map((t) => VALUE_TYPE[t])));
    const key = bytes.join(',');
    const found = types.findIndex((t) => t.join(',') === key);
    if (found >= 0) return found;
    types.push(bytes);
    return types.length - 1;
  });

  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  section(out, 1, vectorOf(types));
  if (memoryImport) section(out, 2, [1, ...memoryImportBytes(memoryImport)]);
  section(out, 3, vector(typeOf));
  const exports = signatures.flatMap((s, i) =>
    s.exportName === null ? [] : [[...name(s.exportName), 0x00, ...u32(i)]],
  );
  section(out, 7, vectorOf(exports));
  const bodies = funcs.map((f, i) => {
    const body = functionBody(f, signatures[i]!, funcIndex);
    return [...u32(body.length), ...body];
  });
  section(out, 10, vectorOf(bodies));
  return Uint8Array.from(out);
}

interface Signature {
  name: string | null;
  exportName: string | null;
  params: { name: string; type: ValueType }[];
  results: ValueType[];
  locals: { name: string; type: ValueType }[];
  /** Index of the first instruction of the body in the func node. */
  bodyAt: number;
}

function signature(func: Node[]): Signature {
  const s: Signature = {
    name: null,
    exportName: null,
    params: [],
    results: [],
    locals: [],
    bodyAt: 1,
  };
  let at = 1;
  if (typeof func[at] === 'string' && (func[at] as string).startsWith('$')) {
    s.name = func[at] as string;
    at++;
  }
  for (; at < func.length; at++) {
    const item = func[at]!;
    if (!Array.isArray(item)) break;
    const head = item[0];
    if (head === 'export') s.exportName = stringLiteral(item[1]);
    else if (head === 'param' || head === 'local') {
      const [, id, type] = item;
      if (item.length !== 3 || typeof id !== 'string' || !id.startsWith('$')) {
        throw new WatError(
          `WAT: ${head} must be written (${head} $name type), got (${flat(item)})`,
        );
      }
      (head === 'param' ? s.params : s.locals).push({ name: id, type: valueType(type) });
    } else if (head === 'result') s.results.push(...item.slice(1).map(valueType));
    else break;
  }
  s.bodyAt = at;
  return s;
}

function functionBody(func: Node[], s: Signature, funcIndex: Map<string, number>): number[] {
  const localIndex = new Map<string, number>();
  for (const v of [...s.params, ...s.locals]) {
    if (localIndex.has(v.name)) throw new WatError(`WAT: local ${v.name} declared twice`);
    localIndex.set(v.name, localIndex.size);
  }
  const code: number[] = [];
  // Locals in runs of one type, as the binary format groups them.
  const runs: [number, ValueType][] = [];
  for (const v of s.locals) {
    const last = runs[runs.length - 1];
    if (last && last[1] === v.type) last[0]++;
    else runs.push([1, v.type]);
  }
  code.push(...u32(runs.length));
  for (const [count, type] of runs) code.push(...u32(count), VALUE_TYPE[type]);
  const labels: (string | null)[] = [];
  const emitter = new Emitter(code, localIndex, funcIndex, labels);
  emitter.sequence(func.slice(s.bodyAt));
  code.push(END);
  return code;
}

/** Emits instructions, tracking the enclosing labels for br and br_if. */
class Emitter {
  constructor(
    private readonly code: number[],
    private readonly locals: Map<string, number>,
    private readonly funcs: Map<string, number>,
    private readonly labels: (string | null)[],
  ) {}

  sequence(items: Node[]): void {
    let at = 0;
    while (at < items.length) {
      const item = items[at]!;
      if (Array.isArray(item)) {
        this.folded(item);
        at++;
      } else at = this.flat(items, at);
    }
  }

  /** A flat instruction at items[at] with its immediates; returns the index after them. */
  private flat(items: Node[], at: number): number {
    const op = items[at] as string;
    if (op === 'block' || op === 'loop' || op === 'if' || op === 'else' || op === 'end') {
      throw new WatError(`WAT: write '${op}' in folded form, (${op} …)`);
    }
    const immediates: string[] = [];
    let next = at + 1;
    while (
      next < items.length &&
      typeof items[next] === 'string' &&
      isImmediate(items[next] as string)
    ) {
      immediates.push(items[next] as string);
      next++;
    }
    this.instruction(op, immediates);
    return next;
  }

  private folded(node: Node[]): void {
    const op = node[0];
    if (typeof op !== 'string')
      throw new WatError(`WAT: expected an instruction, got (${flat(node)})`);
    if (op === 'block' || op === 'loop') {
      const [label, body] = labelled(node);
      this.code.push(op === 'block' ? BLOCK : LOOP, EMPTY_BLOCK);
      this.labels.push(label);
      this.sequence(body);
      this.labels.pop();
      this.code.push(END);
      return;
    }
    if (op === 'if') {
      const [label, rest] = labelled(node);
      const thenAt = rest.findIndex((n) => Array.isArray(n) && n[0] === 'then');
      if (thenAt < 0) throw new WatError(`WAT: (if …) needs a (then …): (${flat(node)})`);
      this.sequence(rest.slice(0, thenAt));
      this.code.push(IF, EMPTY_BLOCK);
      this.labels.push(label);
      this.sequence((rest[thenAt] as Node[]).slice(1));
      const elseNode = rest[thenAt + 1];
      if (elseNode !== undefined) {
        if (!Array.isArray(elseNode) || elseNode[0] !== 'else' || thenAt + 2 !== rest.length) {
          throw new WatError(`WAT: only an (else …) may follow (then …): (${flat(node)})`);
        }
        this.code.push(ELSE);
        this.sequence(elseNode.slice(1));
      }
      this.labels.pop();
      this.code.push(END);
      return;
    }
    let at = 1;
    const immediates: string[] = [];
    while (at < node.length && typeof node[at] === 'string') immediates.push(node[at++] as string);
    this.sequence(node.slice(at));
    this.instruction(op, immediates);
  }

  private instruction(op: string, immediates: string[]): void {
    const code = this.code;
    const one = (): string => {
      if (immediates.length !== 1)
        throw new WatError(`WAT: ${op} takes one immediate, got ${immediates.length}`);
      return immediates[0]!;
    };
    const plain = PLAIN[op];
    if (plain) {
      if (immediates.length > 0)
        throw new WatError(`WAT: ${op} takes no immediates, got '${immediates[0]}'`);
      code.push(...plain);
    } else if (op === 'local.get' || op === 'local.set' || op === 'local.tee') {
      const id = one();
      const index = this.locals.get(id);
      if (index === undefined) throw new WatError(`WAT: unknown local ${id}`);
      code.push(
        op === 'local.get' ? LOCAL_GET : op === 'local.set' ? LOCAL_SET : LOCAL_TEE,
        ...u32(index),
      );
    } else if (op === 'br' || op === 'br_if') {
      const id = one();
      const at = this.labels.lastIndexOf(id);
      if (at < 0) throw new WatError(`WAT: ${op} to unknown label ${id}`);
      code.push(op === 'br' ? BR : BR_IF, ...u32(this.labels.length - 1 - at));
    } else if (op === 'call') {
      const id = one();
      const index = this.funcs.get(id);
      if (index === undefined) throw new WatError(`WAT: call to unknown function ${id}`);
      code.push(CALL, ...u32(index));
    } else if (op === 'i32.const') {
      const text = one();
      const value = Number(text);
      if (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 32) {
        throw new WatError(`WAT: i32.const needs an integer in [-2^31, 2^32), got '${text}'`);
      }
      code.push(I32_CONST, ...s32(value | 0));
    } else if (op === 'f64.const') {
      const text = one();
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value))
        throw new WatError(`WAT: f64.const needs a number, got '${text}'`);
      const bytes = new Uint8Array(8);
      new DataView(bytes.buffer).setFloat64(0, value, true);
      code.push(F64_CONST, ...bytes);
    } else if (MEMORY[op]) {
      const [opcode, natural] = MEMORY[op];
      let offset = 0;
      let align = natural;
      for (const imm of immediates) {
        const match = /^(offset|align)=(\d+)$/.exec(imm);
        if (!match) throw new WatError(`WAT: ${op} takes offset=N and align=N, got '${imm}'`);
        const value = Number(match[2]);
        if (match[1] === 'offset') offset = value;
        else {
          align = Math.log2(value);
          if (!Number.isInteger(align) || align > natural) {
            throw new WatError(
              `WAT: ${op} align must be a power of 2 up to ${2 ** natural}, got ${value}`,
            );
          }
        }
      }
      code.push(opcode, ...u32(align), ...u32(offset));
    } else throw new WatError(`WAT: unsupported instruction '${op}'`);
  }
}

/** An optional $label after the keyword, then the rest. */
function labelled(node: Node[]): [string | null, Node[]] {
  const label = node[1];
  if (typeof label === 'string' && label.startsWith('$')) return [label, node.slice(2)];
  return [null, node.slice(1)];
}

function isImmediate(token: string): boolean {
  return token.startsWith('$') || /^[-+0-9.]/.test(token) || /^(offset|align)=/.test(token);
}

function memoryImportBytes(node: Node[]): number[] {
  const [, moduleName, fieldName, memory] = node;
  if (
    node.length !== 4 ||
    !Array.isArray(memory) ||
    memory[0] !== 'memory' ||
    memory.length < 2 ||
    memory.length > 3
  ) {
    throw new WatError(
      `WAT: only (import "m" "f" (memory min max?)) is supported, got (${flat(node)})`,
    );
  }
  const [min, max] = memory.slice(1).map((t) => pages(t));
  const limits = max === undefined ? [0x00, ...u32(min!)] : [0x01, ...u32(min!), ...u32(max)];
  return [...name(stringLiteral(moduleName)), ...name(stringLiteral(fieldName)), 0x02, ...limits];
}

function pages(token: Node): number {
  const value = Number(token);
  if (typeof token !== 'string' || !Number.isInteger(value) || value < 0 || value > 65536) {
    throw new WatError(`WAT: memory size must be 0…65536 pages, got '${flat([token])}'`);
  }
  return value;
}

function valueType(token: Node | undefined): ValueType {
  if (token === 'i32' || token === 'f64') return token;
  throw new WatError(`WAT: value type must be i32 or f64, got '${flat([token ?? ''])}'`);
}

function stringLiteral(token: Node | undefined): string {
  if (typeof token !== 'string' || !/^".*"$/.test(token)) {
    throw new WatError(`WAT: expected a "string", got '${flat([token ?? ''])}'`);
  }
  return token.slice(1, -1);
}

/** Tokens into nested lists; ;; line comments and (; block comments ;) are dropped. */
function parse(source: string): Node[] {
  const text = source.replace(/\(;[\s\S]*?;\)/g, ' ').replace(/;;[^\n]*/g, ' ');
  const tokens = text.match(/"[^"]*"|[()]|[^\s()"]+/g) ?? [];
  const stack: Node[][] = [[]];
  for (const token of tokens) {
    if (token === '(') stack.push([]);
    else if (token === ')') {
      const done = stack.pop()!;
      if (stack.length === 0) throw new WatError('WAT: unbalanced )');
      stack[stack.length - 1]!.push(done);
    } else stack[stack.length - 1]!.push(token);
  }
  if (stack.length !== 1) throw new WatError('WAT: unbalanced (');
  return stack[0]!;
}

function flat(nodes: Node[]): string {
  return nodes.map((n) => (Array.isArray(n) ? `(${flat(n)})` : n)).join(' ');
}

function section(out: number[], id: number, content: number[]): void {
  out.push(id, ...u32(content.length), ...content);
}

function vector(items: number[]): number[] {
  return [...u32(items.length), ...items];
}

function vectorOf(items: number[][]): number[] {
  return [...u32(items.length), ...items.flat()];
}

function name(text: string): number[] {
  const bytes = new TextEncoder().encode(text);
  return [...u32(bytes.length), ...bytes];
}

/** Unsigned LEB128. */
export function u32(value: number): number[] {
  const bytes: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    bytes.push(v === 0 ? byte : byte | 0x80);
  } while (v !== 0);
  return bytes;
}

/** Signed LEB128 of a 32-bit integer. */
export function s32(value: number): number[] {
  const bytes: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}
