/**
 * A strict XML well-formedness check for the SVG export (no dependency): balanced tags, quoted
 * attributes without raw `<`, only known or numeric entities, one root element. Returns a small
 * element tree for counting.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_:][-A-Za-z0-9_.:]*$/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/y;

function checkEntities(s: string, where: string): string {
  for (let i = s.indexOf('&'); i >= 0; i = s.indexOf('&', i + 1)) {
    ENTITY.lastIndex = i;
    if (!ENTITY.test(s)) throw new Error(`bad entity in ${where}: ${JSON.stringify(s.slice(i, i + 12))}`);
  }
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}

export function parseXml(xml: string): XmlElement {
  let i = 0;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  const fail = (msg: string): never => {
    throw new Error(`${msg} at offset ${i}: ${JSON.stringify(xml.slice(i, i + 40))}`);
  };
  if (xml.startsWith('<?xml')) {
    i = xml.indexOf('?>') + 2;
    if (i < 2) fail('unterminated declaration');
  }
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.trim()) {
      if (!stack.length) fail('text outside the root element');
      stack.at(-1)!.text += checkEntities(text, 'text');
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const e = xml.indexOf('-->', i);
      if (e < 0) fail('unterminated comment');
      i = e + 3;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const e = xml.indexOf(']]>', i);
      if (e < 0) fail('unterminated CDATA');
      i = e + 3;
      continue;
    }
    if (xml.startsWith('<?', i)) {
      const e = xml.indexOf('?>', i);
      if (e < 0) fail('unterminated PI');
      i = e + 2;
      continue;
    }
    if (xml.startsWith('</', i)) {
      const e = xml.indexOf('>', i);
      const name = xml.slice(i + 2, e).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`</${name}> does not close <${open?.name ?? 'nothing'}>`);
      i = e + 1;
      continue;
    }
    // Start tag: name, attributes, optional self-close.
    let j = i + 1;
    const nameMatch = /^[^\s/>]+/.exec(xml.slice(j));
    if (!nameMatch || !NAME.test(nameMatch[0])) fail('bad tag name');
    const el: XmlElement = { name: nameMatch![0], attrs: {}, children: [], text: '' };
    j += nameMatch![0].length;
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(j))![0];
      j += ws.length;
      if (xml.startsWith('/>', j)) {
        j += 2;
        break;
      }
      if (xml[j] === '>') {
        j += 1;
        stack.push(el);
        break;
      }
      if (!ws) fail('attributes must be separated by whitespace');
      const attr = /^([^\s=/>]+)\s*=\s*("([^"]*)"|'([^']*)')/.exec(xml.slice(j));
      if (!attr || !NAME.test(attr[1]!)) {
        i = j;
        fail('bad attribute');
      }
      const value = attr![3] ?? attr![4] ?? '';
      if (value.includes('<')) {
        i = j;
        fail('raw < in attribute');
      }
      if (attr![1]! in el.attrs) {
        i = j;
        fail('duplicate attribute');
      }
      el.attrs[attr![1]!] = checkEntities(value, `attribute ${attr![1]}`);
      j += attr![0].length;
    }
    const parent = stack.at(stack.at(-1) === el ? -2 : -1);
    if (parent && parent !== el) parent.children.push(el);
    else if (!parent) {
      if (root) fail('second root element');
      root = el;
    }
    i = j;
  }
  if (stack.length) throw new Error(`unclosed <${stack.at(-1)!.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

export function findAll(el: XmlElement, pred: (e: XmlElement) => boolean, out: XmlElement[] = []): XmlElement[] {
  if (pred(el)) out.push(el);
  for (const c of el.children) findAll(c, pred, out);
  return out;
}

export const hasClass = (cls: string) => (e: XmlElement) => (e.attrs.class ?? '').split(/\s+/).includes(cls);

/** Rows of every GitHub-flavoured Markdown table: cells split on unescaped pipes. */
export function markdownTables(md: string): string[][][] {
  const tables: string[][][] = [];
  let cur: string[][] | undefined;
  for (const line of md.split('\n')) {
    if (line.startsWith('|')) {
      const cells = line
        .slice(1, line.endsWith('|') && !line.endsWith('\\|') ? -1 : undefined)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      (cur ??= []).push(cells);
    } else if (cur) {
      tables.push(cur);
      cur = undefined;
    }
  }
  if (cur) tables.push(cur);
  return tables;
}
