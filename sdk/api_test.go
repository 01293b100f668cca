package sdk

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-dev/parley/sdk/internal/wire"
)

// pluginAPI is every exported name of package sdk, reviewed one by one as
// something a plugin author uses: implementing a Channel, reading what it
// is handed, answering, classifying errors, serving. What only the host or
// the test harness needs lives in sdk/grpcplugin, sdk/pluginclient or
// sdk/internal/wire. Growing this list is a decision about the plugin
// authors' API, not a way to make the test pass.
var pluginAPI = []string{
	// Serving, and the contract a channel implements.
	"Serve", "ServeOption", "WithLogger", "BuildVersion",
	"Channel", "AttachmentOpener", "Host", "Configured", "Configured.Get", "Configured.Set",

	// Describe and Configure.
	"DescribeResponse", "Capabilities",
	"Formatting", "FormattingSlackMrkdwn", "FormattingHTML", "FormattingMarkdown", "FormattingPlain",
	"ConfigKey", "ConfigureRequest", "ConfigureRequest.Decode", "ConfigureResponse", "ConfigError", "ConfigError.Error",

	// Deliver: what arrives from Telegram.
	"DeliverRequest", "DeliverResponse",
	"Conversation", "ConversationState", "StateOpen", "StateClaimed", "StateClosed", "NextState",
	"Contact", "Contact.DisplayName", "Business", "BusinessAccount",
	"Message", "Entity", "Attachment", "Location", "SharedContact", "Poll", "Forward", "Quote",
	"Kind", "KindText", "KindPhoto", "KindDocument", "KindAudio", "KindVoice", "KindVideo", "KindVideoNote",
	"KindAnimation", "KindSticker", "KindLocation", "KindVenue", "KindContact", "KindPoll", "KindUnsupported",
	"KindNotice",
	"Notice", "NoticeCode", "NoticeCode.Lifecycle", "NoticeUserBlocked", "NoticeDeliveryFailed",
	"NoticeFileTooLarge", "NoticeReplyFailed", "NoticeAttachmentFailed", "NoticeDataErased",
	"NoticeConversationClaimed", "NoticeConversationUnclaimed", "NoticeConversationClosed",
	"NoticeConversationReopened", "NoticeActionIgnored", "NoticeRating", "NoticeReaction",
	"NoticeReactionFailed", "NoticeMessageDeleted", "NoticeDeleteFailed", "NoticeOwnerMessage",
	"NoticeTransfer", "NoticeBusinessConnection",
	"CloseByAgent", "CloseByIdle", "CloseByOperator", "CloseByCustomer",

	// Webhooks, and what a desk sends back through the Host.
	"WebhookRequest", "WebhookRequest.HeaderValue", "WebhookResponse",
	"Reply", "ReplyAttachment", "TextFormat", "FormatPlain", "FormatTelegramHTML", "PostReplyResult",
	"Action", "ActionKind", "ActionClaim", "ActionUnclaim", "ActionClose", "ActionReopen", "ActionReact",
	"ActionDelete", "ActionTyping", "ActionTransfer", "ActionResult", "FileInfo",

	// Errors: how a desk's failure is classified, and what a failed Host
	// call returns.
	"ErrNotConfigured", "RetryAfter", "RetryHint", "Permanent", "IsPermanent", "RemoteError", "RemoteError.Error",
}

// constant is a typed constant of package sdk, as declared.
type constant struct{ typ, value string }

// exportedAPI parses package sdk's non-test files: the exported top-level
// names and the exported methods of its types (as Type.Method), in the
// order go doc shows them, and every constant declared with a type and a
// string literal.
func exportedAPI(t *testing.T) (names []string, consts map[string]constant) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, ".", func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	p := doc.New(pkgs["sdk"], "github.com/parley-dev/parley/sdk", 0)
	consts = map[string]constant{}
	values := func(vs []*doc.Value) {
		for _, v := range vs {
			names = append(names, v.Names...)
			for _, spec := range v.Decl.Specs {
				vs := spec.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok || len(vs.Values) != len(vs.Names) {
					continue
				}
				for i, n := range vs.Names {
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
						val, _ := strconv.Unquote(lit.Value)
						consts[n.Name] = constant{typ: id.Name, value: val}
					}
				}
			}
		}
	}
	values(p.Consts)
	values(p.Vars)
	for _, f := range p.Funcs {
		names = append(names, f.Name)
	}
	for _, typ := range p.Types {
		names = append(names, typ.Name)
		values(typ.Consts)
		values(typ.Vars)
		for _, f := range typ.Funcs {
			names = append(names, f.Name)
		}
		for _, m := range typ.Methods {
			names = append(names, typ.Name+"."+m.Name)
		}
	}
	return names, consts
}

// TestExportedAPIIsThePluginAuthorsAPI pins the names `go doc ./sdk`
// lists, so host-only glue cannot creep back into the package plugin
// authors read.
func TestExportedAPIIsThePluginAuthorsAPI(t *testing.T) {
	names, _ := exportedAPI(t)
	for _, n := range names {
		if !slices.Contains(pluginAPI, n) {
			t.Errorf("package sdk exports %s, which is not on the plugin authors' list: "+
				"move host-only code to sdk/grpcplugin, sdk/pluginclient or sdk/internal/wire, "+
				"or add it to pluginAPI if plugin authors need it", n)
		}
	}
	for _, n := range pluginAPI {
		if !slices.Contains(names, n) {
			t.Errorf("pluginAPI lists %s, which package sdk no longer exports", n)
		}
	}
}

// The kind maps of sdk/internal/wire are keyed by the values of sdk's
// constants, which that package cannot name: every constant must be there,
// or a new kind would cross the boundary as "unspecified".
func TestWireKnowsEveryKind(t *testing.T) {
	_, consts := exportedAPI(t)
	n := map[string]int{}
	for name, c := range consts {
		switch c.typ {
		case "Kind":
			n[c.typ]++
			if _, ok := wire.KindToProto[c.value]; !ok {
				t.Errorf("sdk.%s is missing from wire.KindToProto", name)
			}
		case "ActionKind":
			n[c.typ]++
			if _, ok := wire.ActionKinds[c.value]; !ok {
				t.Errorf("sdk.%s is missing from wire.ActionKinds", name)
			}
		}
	}
	if n["Kind"] != len(wire.KindToProto) || n["ActionKind"] != len(wire.ActionKinds) {
		t.Errorf("sdk declares %d kinds and %d action kinds; wire maps %d and %d",
			n["Kind"], n["ActionKind"], len(wire.KindToProto), len(wire.ActionKinds))
	}
}
