// SVG to PNG for figures written as .png.
import { Resvg } from "@resvg/resvg-js";

/** Renders an SVG document to PNG at `scale` times its size, with the system's fonts for the text. */
export function svgToPng(svg: string, scale = 2): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: "DejaVu Sans" },
    background: "#ffffff",
  });
  return resvg.render().asPng();
}
