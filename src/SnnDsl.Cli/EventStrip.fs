namespace SnnDsl.Cli

open System
open SnnDsl.Data

/// A picture of integrated event frames: the frames side by side (ON events red, OFF events blue, brighter
/// for more events, scaled to the busiest pixel), or for a one-row sensor (SHD) one row per frame.
[<RequireQualifiedAccess>]
module EventStrip =
    /// The strip as RGB pixels: (width, height, rgb).
    let render (sensor: SensorSize) (frames: int) (counts: int[]) : int * int * byte[] =
        let w, h = sensor.Width, sensor.Height
        let plane = w * h
        let peak = max 1 (Array.max (Array.append counts [| 0 |]))
        let level (c: int) = if c = 0 then 0uy else byte (64 + 191 * c / peak)
        let gap = 2
        // Pixel scale: small sensors are enlarged; a one-row sensor gets 8-pixel rows.
        let sx, sy = if h = 1 then 1, 8 else (let s = max 1 (128 / h) in s, s)
        let outW, outH =
            if h = 1 then w * sx, frames * (sy + gap) - gap
            else frames * (w * sx + gap) - gap, h * sy
        let rgb = Array.create (outW * outH * 3) 255uy
        for f in 0 .. frames - 1 do
            let ox, oy = (if h = 1 then 0, f * (sy + gap) else f * (w * sx + gap), 0)
            for y in 0 .. h - 1 do
                for x in 0 .. w - 1 do
                    let cell p = if p < sensor.Polarities then counts[f * sensor.FrameSize + p * plane + y * w + x] else 0
                    let off, on = cell 0, cell 1
                    let r, g, b =
                        if on = 0 && off = 0 then 20uy, 20uy, 20uy
                        elif sensor.Polarities = 1 then level off, level off, level off
                        else level on, 0uy, level off
                    for dy in 0 .. sy - 1 do
                        for dx in 0 .. sx - 1 do
                            let i = ((oy + y * sy + dy) * outW + ox + x * sx + dx) * 3
                            rgb[i] <- r
                            rgb[i + 1] <- g
                            rgb[i + 2] <- b
        outW, outH, rgb

    /// The strip as an SVG: the PNG embedded as a data URI, with each frame's number and event count.
    let svg (sensor: SensorSize) (frames: int) (counts: int[]) : string =
        let w, h, rgb = render sensor frames counts
        let png = Convert.ToBase64String(Png.encode w h rgb)
        let label = 16
        let sb = Text.StringBuilder()
        sb.Append($"""<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + label}" viewBox="0 0 {w} {h + label}">""").Append('\n') |> ignore
        sb.Append($"""<image x="0" y="{label}" width="{w}" height="{h}" style="image-rendering:pixelated" href="data:image/png;base64,{png}"/>""").Append('\n') |> ignore
        let frameSize = sensor.FrameSize
        for f in 0 .. frames - 1 do
            let n = Array.sum counts[f * frameSize .. (f + 1) * frameSize - 1]
            let x, y =
                if sensor.Height = 1 then 2, label + f * 10 + 8
                else (let s = max 1 (128 / sensor.Height) in f * (sensor.Width * s + 2) + 2, 12)
            if sensor.Height > 1 || f = 0 then
                sb.Append($"""<text x="{x}" y="{y}" font-family="sans-serif" font-size="11">frame {f}: {n} events</text>""").Append('\n') |> ignore
        sb.Append("</svg>\n").ToString()
