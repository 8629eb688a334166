package bench_test

import (
	"log/slog"
	"testing"

	"github.com/chatsync/chat-lambdas/pkg/chat"
	"github.com/chatsync/chat-lambdas/pkg/handler"
)

// BenchmarkWarmSignUpProfile is BenchmarkWarmSignUp with PROFILE_ATTRIBUTES
// naming three fields: the account_import, then one portrait_set.
func BenchmarkWarmSignUpProfile(b *testing.B) {
	r := rig(b)
	r.Emu.SetUpCustomFields("Tier")
	f, err := chat.ParseProfileFields("gender=Tag_Profile_IM_Gender,birthdate=Tag_Profile_IM_BirthDay,custom:tier=Tag_Profile_Custom_Tier")
	if err != nil {
		b.Fatal(err)
	}
	h := handler.NewImportHandler(handler.ImportConfig{Chat: r.Chat, Mapping: chat.Mapping{Profile: f}, Logger: slog.New(slog.DiscardHandler)})
	signUpLoop(b, h.Invoke)
	if p, _ := r.Emu.Profile("6b1f9c2e4d3a4e5f8a7b9c0d1e2f3a4b"); len(p) != 3 {
		b.Fatalf("profile %v, want the three fields set", p)
	}
}
