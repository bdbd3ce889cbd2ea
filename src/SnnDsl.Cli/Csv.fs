namespace SnnDsl.Cli

open SnnDsl.Core
open SnnDsl.Backends
open System
open System.Globalization
open System.IO
open System.Text

/// The input matrix (one row per time step, one column per neuron) and the long-format trace.
[<RequireQualifiedAccess>]
module Csv =
    let private invariant = CultureInfo.InvariantCulture

    /// A number as the shortest text that reads back to the same double, in the invariant culture.
    let number (v: float) = v.ToString("R", invariant)

    let private tryNumber (field: string) =
        match Double.TryParse(field, NumberStyles.Float, invariant) with
        | true, v -> Some v
        | _ -> None

    let private plural (k: int) (word: string) = if k = 1 then $"{k} {word}" else $"{k} {word}s"

    /// Parses CSV text into inputs [T, N]. `source` names the text in messages. Lines that are empty or only
    /// whitespace are skipped; a first row that is not all numbers is a header and is skipped. Every other row
    /// must have as many comma-separated columns as the first row, each a finite number.
    let parseInputs (source: string) (text: string) : float[,] =
        let fail (line: int) (column: int) (what: string) = Fail.data $"{source}: line {line}, column {column}: {what}"
        let rows =
            text.Split('\n')
            |> Array.mapi (fun i l -> i + 1, l.TrimEnd('\r'))
            |> Array.filter (fun (_, l) -> not (String.IsNullOrWhiteSpace l))
            |> Array.map (fun (i, l) -> i, l.Split(',') |> Array.map (fun f -> f.Trim()))
        if rows.Length = 0 then Fail.data $"{source}: no data; expected one row per time step, one column per neuron"
        let firstLine, firstFields = rows[0]
        let hasHeader = firstFields |> Array.exists (tryNumber >> Option.isNone)
        let data = if hasHeader then rows[1..] else rows
        if data.Length = 0 then Fail.data $"{source}: no data rows after the header on line {firstLine}"
        let width = firstFields.Length
        let shapeOrigin = if hasHeader then $"the header on line {firstLine}" else $"line {firstLine}"
        let values =
            data
            |> Array.map (fun (line, fields) ->
                let columns = plural width "column"
                if fields.Length > width then
                    fail line (width + 1) $"unexpected extra value '{fields[width]}': every row must have {columns}, as {shapeOrigin}"
                if fields.Length < width then
                    let has = plural fields.Length "column"
                    fail line (fields.Length + 1) $"missing value: the row has {has}, every row must have {width}, as {shapeOrigin}"
                fields
                |> Array.mapi (fun c field ->
                    match tryNumber field with
                    | None when field = "" -> fail line (c + 1) "empty value; expected a number"
                    | None -> fail line (c + 1) $"'{field}' is not a number"
                    | Some v when Double.IsNaN v -> fail line (c + 1) $"'{field}' is NaN; inputs must be finite numbers"
                    | Some v when Double.IsInfinity v -> fail line (c + 1) $"'{field}' is infinite; inputs must be finite numbers"
                    | Some v -> v))
        Array2D.init values.Length width (fun t j -> values[t][j])

    /// Reads inputs [T, N] from a CSV file (see parseInputs); a missing or unreadable file is a data error.
    let readInputs (path: string) : float[,] =
        if Directory.Exists path then Fail.data $"input '{path}' is a directory, not a CSV file"
        if not (File.Exists path) then Fail.data $"input file '{path}' does not exist"
        let text =
            try File.ReadAllText path
            with
            | :? IOException | :? UnauthorizedAccessException as e -> Fail.data $"cannot read input file '{path}': {e.Message}"
        parseInputs path text

    /// The run in long format: header `t,neuron,x,s,v` and one column per further state, then one row per
    /// step and neuron (t from 1, neuron from 0); v and the other states are their values after the step.
    let trace (s: Simulation) : string =
        let T, N = Simulation.size s
        let v = s.States |> List.find (fun (name, _) -> name = "V") |> snd
        let others = s.States |> List.filter (fun (name, _) -> name <> "V")
        let sb = StringBuilder()
        sb.Append("t,neuron,x,s,v") |> ignore
        for name, _ in others do sb.Append(',').Append(name) |> ignore
        sb.Append('\n') |> ignore
        for t in 0 .. T - 1 do
            for j in 0 .. N - 1 do
                sb.Append(t + 1).Append(',').Append(j).Append(',')
                  .Append(number s.Inputs[t, j]).Append(',')
                  .Append(number s.Spikes[t, j]).Append(',')
                  .Append(number v[t, j]) |> ignore
                for _, values in others do sb.Append(',').Append(number values[t, j]) |> ignore
                sb.Append('\n') |> ignore
        sb.ToString()
