/// Every public member of the F# library packages has an XML doc in the documentation file that ships beside
/// its assembly (what an IDE shows on hover). The C# facade is held to the same by CS1591 at compile time;
/// the F# compiler has no such warning, so this test reads the Release assemblies by reflection and looks
/// each member's documentation ID up in the generated .xml.
module SnnDsl.Examples.Tests.ApiDocsTests

open System
open System.IO
open System.Reflection
open System.Xml.Linq
open Expecto
open Microsoft.FSharp.Reflection
open SnnDsl.Examples.Tests.Fsi

/// The F# libraries that ship as packages (the CLI is a tool, the C# facade is checked by CS1591).
let private libraries =
    [ "SnnDsl.Core"; "SnnDsl.Torch"; "SnnDsl.Backends"; "SnnDsl.Verify"; "SnnDsl.Nn"; "SnnDsl.Data"
      "SnnDsl.Distributed"; "SnnDsl.Training"; "SnnDsl.Charts"; "SnnDsl.Report"; "SnnDsl.Interactive"; "SnnDsl.Nir" ]

let private declared = BindingFlags.Public ||| BindingFlags.Instance ||| BindingFlags.Static ||| BindingFlags.DeclaredOnly
let private public' = BindingFlags.Public

/// The SourceConstructFlags of F#'s CompilationMapping attribute on a member, 0 when it has none.
let private construct (m: MemberInfo) =
    m.GetCustomAttributesData()
    |> Seq.tryFind (fun a -> a.AttributeType.Name = "CompilationMappingAttribute")
    |> Option.map (fun a -> (a.ConstructorArguments[0].Value :?> int) &&& 31)
    |> Option.defaultValue 0

let private compilerGenerated (m: MemberInfo) =
    m.GetCustomAttributesData() |> Seq.exists (fun a -> a.AttributeType.Name = "CompilerGeneratedAttribute")

// SourceConstructFlags: 2 Field (a record's), 4 UnionCase, 8 ... (the case's fields).
let private isFieldOrCase (m: MemberInfo) = List.contains (construct m) [ 2; 4; 8 ]

/// The documentation ID's name part: nested types with dots.
let private name (t: Type) = t.FullName.Replace('+', '.')

/// A member that implements an interface or overrides a base member inherits that member's documentation.
let private inherits (t: Type) (m: MethodInfo) =
    not (isNull m)
    && (m.GetBaseDefinition().DeclaringType <> t
        || (not t.IsInterface
            && t.GetInterfaces() |> Array.exists (fun i -> (t.GetInterfaceMap i).TargetMethods |> Array.contains m)))

/// The documentation IDs (without parameter lists or generic arity) that a public type needs.
let private needed (t: Type) =
    let isUnion = FSharpType.IsUnion(t, public')
    [ yield "T:" + name t
      if isUnion then
          for c in FSharpType.GetUnionCases(t, public') -> $"T:{name t}.{c.Name}"
      elif FSharpType.IsRecord(t, public') then
          for f in FSharpType.GetRecordFields(t, public') -> $"P:{name t}.{f.Name}"
      elif FSharpType.IsExceptionRepresentation(t, public') then
          for f in FSharpType.GetExceptionFields(t, public') -> $"P:{name t}.{f.Name}"
      for m in t.GetMembers declared do
          if not (compilerGenerated m || isFieldOrCase m || m.Name.Contains '@') then
              match m with
              | :? MethodInfo as mi when mi.IsSpecialName || inherits t mi -> ()
              | :? MethodInfo as mi when isUnion && List.contains mi.Name [ "Equals"; "GetHashCode"; "CompareTo"; "ToString" ] -> ()
              | :? MethodInfo as mi -> yield $"M:{name t}.{mi.Name}"
              | :? PropertyInfo as p when inherits t (p.GetGetMethod()) -> ()
              | :? PropertyInfo as p when isUnion && (p.Name = "Tag" || p.Name.StartsWith "Is") -> ()
              | :? PropertyInfo as p -> yield $"P:{name t}.{p.Name}"
              | :? FieldInfo as f when not (t.IsEnum && f.Name = "value__") -> yield $"F:{name t}.{f.Name}"
              | :? EventInfo as e -> yield $"E:{name t}.{e.Name}"
              | _ -> () ]

/// A union case's class, the Tags class and closures are the compiler's: their docs are the case's.
let private ownType (t: Type) =
    let caseClass =
        not (isNull t.DeclaringType) && FSharpType.IsUnion(t.DeclaringType, public')
    not (t.Name = "Tags" || caseClass || t.Name.Contains '@')

/// The IDs that a documentation file holds, cut before the parameter list and the generic arity.
let private documented (xmlPath: string) =
    XDocument.Load(xmlPath).Descendants(XName.Get "member")
    |> Seq.map (fun e ->
        let id = e.Attribute(XName.Get "name").Value
        let id = match id.IndexOf '(' with -1 -> id | i -> id.Substring(0, i)
        match id.IndexOf "``" with -1 -> id | i -> id.Substring(0, i))
    |> Set.ofSeq

/// The library's Release assembly: the one this process already runs when it references it, else the build's.
let private assembly (library: string) (dll: string) =
    match AppDomain.CurrentDomain.GetAssemblies() |> Array.tryFind (fun a -> a.GetName().Name = library) with
    | Some a -> a
    | None -> Assembly.LoadFrom dll

/// The public members of a library without an XML doc, as documentation IDs.
let undocumented (library: string) =
    let dir = Path.Combine(repoRoot, "src", library, "bin", "Release", "net10.0")
    let dll, xml = Path.Combine(dir, library + ".dll"), Path.Combine(dir, library + ".xml")
    if not (File.Exists dll && File.Exists xml) then
        failwith $"{dll} or its .xml is missing: build Release first (dotnet fsi build.fsx build)"
    let ids = documented xml
    // F# writes a module's literal as P: (reflection sees a field) and an exception's fields as F:
    // (reflection sees properties).
    let has (id: string) =
        ids.Contains id
        || (id.StartsWith "F:" && ids.Contains("P:" + id.Substring 2))
        || (id.StartsWith "P:" && ids.Contains("F:" + id.Substring 2))
    (assembly library dll).GetExportedTypes()
    |> Seq.filter ownType
    |> Seq.collect needed
    |> Seq.filter (has >> not)
    |> Seq.distinct
    |> Seq.sort
    |> List.ofSeq

[<Tests>]
let tests =
    testList "API docs" [
        for library in libraries ->
            testCase $"every public member of {library} has an XML doc in the documentation file it ships" <| fun () ->
                let missing = undocumented library
                let shown = missing |> List.truncate 40 |> String.concat "\n  "
                Expect.isEmpty missing $"{missing.Length} public members of {library} have no /// doc:\n  {shown}"
    ]
