/**
 * The rule each check enforces, citing SPEC.md 1.1.0 (section numbers as in
 * the spec: §1 configuration format, §2 execution protocol, §3 execution of
 * configurations, §5 result types) or, where the rule comes from an older
 * spec version, that version's text.
 */
export const RULES = {
  versionAnswer:
    "§2 VERSION (required env: CNI_COMMAND only) + §5 Version success: one JSON object {cniVersion, supportedVersions}",
  versionSupported: "§5 Version success: supportedVersions = the spec versions supported, SemVer X.Y.Z",
  versionEcho: "§5 Version success (1.x): cniVersion = the value of cniVersion specified on input",
  versionStdin:
    "0.2.0-0.4.0 VERSION: 'Parameters: NONE'; a plugin claiming those versions must answer without stdin",
  noCommand:
    "§2 CNI_COMMAND required: without it the exec is no CNI operation: §5 code 4, or exit 0 with nothing on stdout (Go's 'about' text)",
  missing: (verb: string, name: string) =>
    `§2 ${verb}: required environment parameter ${name}; §5 code 4: invalid necessary environment variables, message must contain their names`,
  optionalPath: (verb: string) => `§2 ${verb}: CNI_PATH is an optional environment parameter`,
  delWithoutNetns:
    "§2 DEL: CNI_NETNS optional; when CNI_NETNS is not provided the plugin should clean up what it can and return success",
  containerId:
    "§2 CNI_CONTAINERID: starts with an alphanumeric, then alphanumerics, _ . -; §5 code 4 (the charset binds the runtime: acceptance is not a failure)",
  ifname:
    "§2 CNI_IFNAME: if the plugin is unable to use the name it must return an error (Linux: < 16 bytes, not . or .., no / : or whitespace); §5 code 4",
  decode: "§5 Error code 6: failed to decode content (e.g. unmarshal the network config)",
  notObject: "§1 the configuration is a JSON object; §5 code 6 (decode) or 7 (invalid config)",
  missingName: "§1 name (string) is required; §5 code 7: invalid network configuration",
  invalidName:
    "§1 name: starts with an alphanumeric, then alphanumerics, _ . -; §5 code 7 (binds the config author: acceptance is not a failure)",
  versionType: "§1 cniVersion is a string; §5 code 1, 6 or 7",
  unsupportedVersion: "§5 Error code 1: incompatible CNI version (a config version the plugin does not support)",
  gate: (verb: string, since: string) =>
    `${verb} exists from spec ${since}: with an older config version it must fail (code 1, or 4 as an unknown command)`,
  unknownVerb: "§2 CNI_COMMAND is one of ADD, DEL, CHECK, STATUS, GC, VERSION; §5 code 4",
  result: (v: string) =>
    `§5 ADD success: the ${v} result shape on stdout, exactly one JSON document, cniVersion equal to the config's`,
  kubernetesArgs:
    "§2 CNI_ARGS: extra key-value pairs; CONVENTIONS.md: plugins ignore keys they do not understand (kubelet's runtimes send K8S_POD_* with IgnoreUnknown=1)",
  resultIfname: "§2 CNI_IFNAME: the name of the interface to create inside the container (or an error)",
  chain:
    "§2 ADD: a plugin supplied a prevResult must handle it by passing it through or modifying it appropriately",
  chainTamper:
    "§2 CHECK: the plugin should return an error if resources it manages (traffic shaping, firewall rules, hardware addresses, interface settings) are missing or in an invalid state; §2 DEL: clean up what is left and succeed, also when repeated",
  ipamDistinct: "§4 IPAM: the plugin allocates an address per attachment: two containers never get the same address",
  ipamRelease: "§2 DEL: release the attachment's resources (its IP reservation): an ADD into a full range succeeds after a DEL",
  ipamDelUnknown: "§2 DEL: a DEL of an attachment the plugin does not know succeeds (clean up what can be, return success)",
  ipamGc: "§2 GC: release the reservations of attachments not in cni.dev/valid-attachments, keep the others",
  delStdout: "§2/§5: stdout carries one JSON document (a result or an error) or nothing; DEL defines no output",
  checkStdout: "§2 CHECK: the plugin must return either nothing or an error",
  gcStdout: "§2 GC: no output on success, an error object on failure",
  statusStdout: "§2 STATUS: exit 0 when ready to service ADD, otherwise an error (50/51)",
  errorShape:
    "§2/§5 Error: a failing plugin exits non-zero and prints one error object {cniVersion, code, msg, details?} on stdout",
  errorVersion: "§5 Error: cniVersion, the protocol version in use, is part of the error object",
  nsAdd: "§2 ADD: create CNI_IFNAME inside CNI_NETNS and output a result",
  nsMatches: "§5 ADD success: interfaces (name, mac, sandbox), ips and routes describe what the plugin configured",
  nsCheck: "§2 CHECK: with the ADD result as prevResult, succeed with nothing on stdout when all is in place",
  nsAddExisting: "§2 ADD: if an interface of the requested name already exists in the container, the plugin must return an error",
  nsDel: "§2 DEL: remove the attachment and return success",
  nsDelCleans: "§2 DEL: a delete should release all resources held by the attachment (interfaces it created)",
  nsDelAgain: "§3: plugins should handle multiple DELs permissively (DEL idempotent)",
  nsReadd: "§2 DEL: release all resources, IPAM included: an ADD after DEL succeeds",
  nsGc: "§2 GC: release the resources (e.g. IPAM reservations) of every attachment not in cni.dev/valid-attachments",
  nsNetnsGone:
    "§2 DEL: when the namespace no longer exists the plugin should clean up what it can (IPAM) and return success",
} as const;
