// A minimal SVG writer: elements as strings, attributes escaped, numbers rounded for small files.

export type Attrs = Record<string, string | number | undefined>;

/** Escapes text and attribute values for XML. */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
  );
}

function attrValue(v: string | number): string {
  return typeof v === "number" ? String(Math.round(v * 100) / 100) : escapeXml(v);
}

/** One element; children are already-rendered markup, text content is escaped by `text`. */
export function el(tag: string, attrs: Attrs = {}, children: string[] = []): string {
  const a = Object.entries(attrs)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${attrValue(v!)}"`)
    .join("");
  return children.length === 0 ? `<${tag}${a}/>` : `<${tag}${a}>${children.join("")}</${tag}>`;
}

/** A text element with escaped content. */
export function text(x: number, y: number, content: string, attrs: Attrs = {}): string {
  return `${el("text", { x, y, ...attrs }).slice(0, -2)}>${escapeXml(content)}</text>`;
}

export const FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif";

/** A whole SVG document with a white background and the shared font. */
export function svgDocument(width: number, height: number, body: string[]): string {
  return `${el(
    "svg",
    {
      xmlns: "http://www.w3.org/2000/svg",
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      "font-family": FONT_FAMILY,
      "font-size": 13,
    },
    [el("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }), ...body],
  )}\n`;
}
