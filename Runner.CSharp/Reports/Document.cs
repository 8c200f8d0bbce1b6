using System.Net;

namespace LowRankVerify.Runner.Reports;

/// <summary>A report as a list of blocks, rendered twice: to Markdown (report.md, figures linked as
/// files) and to a self-contained HTML page (report.html, figures embedded as inline SVG).</summary>
public sealed class Document(string title)
{
    private abstract record Block;
    private sealed record Heading(int Level, string Text) : Block;
    private sealed record Para(string Text) : Block;
    private sealed record Bullets(IReadOnlyList<string> Items) : Block;
    private sealed record Table(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : Block;
    private sealed record Code(string Text) : Block;
    private sealed record Figure(string Caption, string SvgFile, string PngFile, string Svg) : Block;

    private readonly List<Block> blocks = [];

    /// <summary>The title (first heading of both renderings).</summary>
    public string Title { get; } = title;

    /// <summary>Adds a section heading (level 2 or 3).</summary>
    public Document H(int level, string text) { blocks.Add(new Heading(level, text)); return this; }

    /// <summary>Adds a paragraph; <c>`code`</c> spans are kept in Markdown and become &lt;code&gt; in HTML.</summary>
    public Document P(string text) { blocks.Add(new Para(text)); return this; }

    /// <summary>Adds a bullet list.</summary>
    public Document List(IEnumerable<string> items) { blocks.Add(new Bullets(items.ToList())); return this; }

    /// <summary>Adds a table.</summary>
    public Document T(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        blocks.Add(new Table(header, rows.ToList()));
        return this;
    }

    /// <summary>Adds a preformatted block (commands).</summary>
    public Document C(string text) { blocks.Add(new Code(text)); return this; }

    /// <summary>Adds a figure: linked as <paramref name="svgFile"/> (and <paramref name="pngFile"/>) in
    /// Markdown, embedded from <paramref name="svg"/> in HTML.</summary>
    public Document F(string caption, string svgFile, string pngFile, string svg)
    {
        blocks.Add(new Figure(caption, svgFile, pngFile, svg));
        return this;
    }

    private static string MdCell(string s) => s.Replace("|", "\\|").Replace("\n", " ");

    /// <summary>Markdown rendering.</summary>
    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.Append("# ").Append(Title).Append("\n\n");
        foreach (var b in blocks)
        {
            switch (b)
            {
                case Heading h: sb.Append(new string('#', h.Level)).Append(' ').Append(h.Text).Append("\n\n"); break;
                case Para p: sb.Append(p.Text).Append("\n\n"); break;
                case Bullets l:
                    foreach (var i in l.Items) sb.Append("- ").Append(i).Append('\n');
                    sb.Append('\n');
                    break;
                case Table t:
                    sb.Append("| ").Append(string.Join(" | ", t.Header.Select(MdCell))).Append(" |\n");
                    sb.Append("|").Append(string.Concat(t.Header.Select(_ => " --- |"))).Append('\n');
                    foreach (var r in t.Rows) sb.Append("| ").Append(string.Join(" | ", r.Select(MdCell))).Append(" |\n");
                    sb.Append('\n');
                    break;
                case Code c: sb.Append("```\n").Append(c.Text.TrimEnd()).Append("\n```\n\n"); break;
                case Figure f:
                    sb.Append("![").Append(f.Caption).Append("](").Append(f.SvgFile).Append(")\n\n");
                    sb.Append('*').Append(f.Caption).Append("* (also as [PNG](").Append(f.PngFile).Append(").)\n\n");
                    break;
            }
        }
        return sb.ToString();
    }

    private static string Inline(string s)
    {
        // HTML-escape, then turn `x` into <code>x</code> and **x** into <b>x</b>.
        var e = WebUtility.HtmlEncode(s);
        var sb = new StringBuilder();
        var parts = e.Split('`');
        for (var k = 0; k < parts.Length; k++)
            sb.Append(k % 2 == 1 ? $"<code>{parts[k]}</code>" : Bold(parts[k]));
        return sb.ToString();
    }

    private static string Bold(string s)
    {
        var parts = s.Split("**");
        var sb = new StringBuilder();
        for (var k = 0; k < parts.Length; k++) sb.Append(k % 2 == 1 ? $"<b>{parts[k]}</b>" : parts[k]);
        return sb.ToString();
    }

    /// <summary>Self-contained HTML rendering (no external resource: styles inline, figures as inline SVG).</summary>
    public string ToHtml()
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
          .Append(WebUtility.HtmlEncode(Title))
          .Append("</title>\n<style>body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}")
          .Append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left;vertical-align:top}")
          .Append("th{background:#eee}code,pre{background:#f4f4f4;font-family:ui-monospace,monospace}pre{padding:.6em;overflow-x:auto}")
          .Append("figure{margin:1em 0}figcaption{font-style:italic;color:#444}svg{max-width:100%;height:auto}</style></head><body>\n");
        sb.Append("<h1>").Append(WebUtility.HtmlEncode(Title)).Append("</h1>\n");
        var figures = 0;
        foreach (var b in blocks)
        {
            switch (b)
            {
                case Heading h: sb.Append($"<h{h.Level}>").Append(Inline(h.Text)).Append($"</h{h.Level}>\n"); break;
                case Para p: sb.Append("<p>").Append(Inline(p.Text)).Append("</p>\n"); break;
                case Bullets l:
                    sb.Append("<ul>");
                    foreach (var i in l.Items) sb.Append("<li>").Append(Inline(i)).Append("</li>");
                    sb.Append("</ul>\n");
                    break;
                case Table t:
                    sb.Append("<table><tr>");
                    foreach (var c in t.Header) sb.Append("<th>").Append(Inline(c)).Append("</th>");
                    sb.Append("</tr>\n");
                    foreach (var r in t.Rows)
                    {
                        sb.Append("<tr>");
                        foreach (var c in r) sb.Append("<td>").Append(Inline(c)).Append("</td>");
                        sb.Append("</tr>\n");
                    }
                    sb.Append("</table>\n");
                    break;
                case Code c: sb.Append("<pre>").Append(WebUtility.HtmlEncode(c.Text.TrimEnd())).Append("</pre>\n"); break;
                case Figure f:
                    sb.Append("<figure>").Append(InlineSvg(f.Svg, ++figures)).Append("<figcaption>")
                      .Append(Inline(f.Caption)).Append("</figcaption></figure>\n");
                    break;
            }
        }
        sb.Append("</body></html>\n");
        return sb.ToString();
    }

    /// <summary>Prepares an SVG document for inlining as figure number <paramref name="n"/>: drops the XML
    /// header, prefixes every id (and its url(#…)/href="#…" uses) so that two figures' clip paths cannot
    /// collide, and adds a viewBox from width/height so that the figure scales with the page.</summary>
    private static string InlineSvg(string svg, int n)
    {
        var k = svg.IndexOf("<svg", StringComparison.Ordinal);
        var s = k > 0 ? svg[k..] : svg;
        var prefix = $"fig{n}-";
        s = System.Text.RegularExpressions.Regex.Replace(s, "id=\"([^\"]+)\"", m => $"id=\"{prefix}{m.Groups[1].Value}\"");
        s = System.Text.RegularExpressions.Regex.Replace(s, "url\\(#([^)]+)\\)", m => $"url(#{prefix}{m.Groups[1].Value})");
        s = System.Text.RegularExpressions.Regex.Replace(s, "href=\"#([^\"]+)\"", m => $"href=\"#{prefix}{m.Groups[1].Value}\"");
        var head = System.Text.RegularExpressions.Regex.Match(s, "^<svg[^>]*>");
        if (head.Success && !head.Value.Contains("viewBox", StringComparison.Ordinal))
        {
            var w = System.Text.RegularExpressions.Regex.Match(head.Value, "width=\"([0-9.]+)\"");
            var h = System.Text.RegularExpressions.Regex.Match(head.Value, "height=\"([0-9.]+)\"");
            if (w.Success && h.Success)
                s = s.Insert(4, $" viewBox=\"0 0 {w.Groups[1].Value} {h.Groups[1].Value}\"");
        }
        return s;
    }
}
