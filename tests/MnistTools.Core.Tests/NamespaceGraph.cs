using Mono.Cecil;
using Mono.Cecil.Cil;

namespace MnistTools.Tests;

/// <summary>
/// Which namespaces of an assembly use which others, read from its IL with Mono.Cecil: base types, interfaces, fields,
/// properties, method signatures, locals and every type, field and method a method body names (generic arguments too).
/// </summary>
internal static class NamespaceGraph
{
    /// <summary>Edges (from, to, the type that uses, the type used) between the namespaces of the assembly's own types
    /// (compiler-made types outside any namespace left out).</summary>
    public static IReadOnlyList<(string From, string To, string User, string Used)> Edges(string assemblyPath)
    {
        using AssemblyDefinition assembly = AssemblyDefinition.ReadAssembly(assemblyPath);
        var edges = new HashSet<(string, string, string, string)>();
        foreach (TypeDefinition type in assembly.MainModule.GetTypes())
        {
            string from = NamespaceOf(type);
            if (from.Length == 0) continue;
            foreach (TypeReference used in Uses(type))
                foreach (TypeReference part in Flatten(used))
                {
                    string to = NamespaceOf(part);
                    if (to != from && to.Length > 0 && IsSameModule(part, assembly))
                        edges.Add((from, to, type.FullName, part.FullName));
                }
        }
        return edges.OrderBy(e => e.Item1).ThenBy(e => e.Item2).ThenBy(e => e.Item3).ToArray();
    }

    private static bool IsSameModule(TypeReference type, AssemblyDefinition assembly) =>
        type.Scope is ModuleDefinition module && module == assembly.MainModule;

    /// <summary>The namespace of a type, of its outermost declaring type for a nested one.</summary>
    private static string NamespaceOf(TypeReference type)
    {
        while (type.DeclaringType is not null) type = type.DeclaringType;
        return type.Namespace;
    }

    /// <summary>A type and the types inside it: array and pointer elements, generic arguments.</summary>
    private static IEnumerable<TypeReference> Flatten(TypeReference? type)
    {
        switch (type)
        {
            case GenericInstanceType generic:
                foreach (TypeReference part in Flatten(generic.ElementType)) yield return part;
                foreach (TypeReference argument in generic.GenericArguments)
                    foreach (TypeReference part in Flatten(argument)) yield return part;
                break;
            case TypeSpecification specification:
                foreach (TypeReference part in Flatten(specification.ElementType)) yield return part;
                break;
            case null or GenericParameter:
                break;
            default:
                yield return type;
                break;
        }
    }

    private static IEnumerable<TypeReference> Uses(TypeDefinition type)
    {
        if (type.BaseType is not null) yield return type.BaseType;
        foreach (InterfaceImplementation implementation in type.Interfaces) yield return implementation.InterfaceType;
        foreach (FieldDefinition field in type.Fields) yield return field.FieldType;
        foreach (PropertyDefinition property in type.Properties) yield return property.PropertyType;
        foreach (MethodDefinition method in type.Methods)
        {
            yield return method.ReturnType;
            foreach (ParameterDefinition parameter in method.Parameters) yield return parameter.ParameterType;
            if (!method.HasBody) continue;
            foreach (VariableDefinition variable in method.Body.Variables) yield return variable.VariableType;
            foreach (Instruction instruction in method.Body.Instructions)
                switch (instruction.Operand)
                {
                    case TypeReference used: yield return used; break;
                    case FieldReference field: yield return field.DeclaringType; yield return field.FieldType; break;
                    case MethodReference called:
                        yield return called.DeclaringType;
                        yield return called.ReturnType;
                        foreach (ParameterDefinition parameter in called.Parameters) yield return parameter.ParameterType;
                        if (called is GenericInstanceMethod generic)
                            foreach (TypeReference argument in generic.GenericArguments) yield return argument;
                        break;
                }
        }
    }
}
