// Package config reads the functions' settings from the environment
// (SPEC.md section 2) and checks them, so a bad setting fails the init with
// one clear line rather than the first invocation.
package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/chatsync/chat-lambdas/pkg/chatapi"
)

// Config holds the settings of both functions; the import-only ones are
// empty for the delete function.
type Config struct {
	SecretID   string        // CHAT_SECRET_ID
	Region     string        // CHAT_REGION
	BaseURL    string        // CHAT_BASE_URL, overrides Region
	SecretTTL  time.Duration // CHAT_SECRET_TTL, default 5m
	AuthMode   string        // HTTP_AUTH_MODE: "iam" (default) or "jwt"
	AdminGroup string        // ADMIN_GROUP, default "chat-admins"

	UserIDAttribute    string // USER_ID_ATTRIBUTE, default "sub"
	NickAttribute      string // NICK_ATTRIBUTE, default "nickname"
	FaceURLAttribute   string // FACE_URL_ATTRIBUTE, default "picture"
	RetryQueueURL      string // RETRY_QUEUE_URL
	DeadLetterQueueURL string // DEAD_LETTER_QUEUE_URL
}

// Load reads the configuration through getenv (os.Getenv in a function).
// The error names every bad setting on one line.
func Load(getenv func(string) string) (Config, error) {
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		SecretID:           get("CHAT_SECRET_ID", ""),
		Region:             get("CHAT_REGION", ""),
		BaseURL:            get("CHAT_BASE_URL", ""),
		AuthMode:           strings.ToLower(get("HTTP_AUTH_MODE", "iam")),
		AdminGroup:         get("ADMIN_GROUP", "chat-admins"),
		UserIDAttribute:    get("USER_ID_ATTRIBUTE", "sub"),
		NickAttribute:      get("NICK_ATTRIBUTE", "nickname"),
		FaceURLAttribute:   get("FACE_URL_ATTRIBUTE", "picture"),
		RetryQueueURL:      get("RETRY_QUEUE_URL", ""),
		DeadLetterQueueURL: get("DEAD_LETTER_QUEUE_URL", ""),
	}
	var errs []string
	if c.SecretID == "" {
		errs = append(errs, "CHAT_SECRET_ID is required")
	}
	if c.BaseURL != "" {
		u, err := chatapi.ParseBaseURL(c.BaseURL)
		if err != nil {
			errs = append(errs, "CHAT_BASE_URL: "+err.Error())
		}
		c.BaseURL = u
	} else if _, ok := chatapi.Regions[strings.ToLower(c.Region)]; !ok {
		if c.Region == "" {
			errs = append(errs, "CHAT_REGION or CHAT_BASE_URL is required")
		} else {
			errs = append(errs, fmt.Sprintf("CHAT_REGION %q: want one of %s", c.Region, strings.Join(chatapi.RegionNames(), ", ")))
		}
	}
	c.Region = strings.ToLower(c.Region)
	ttl := get("CHAT_SECRET_TTL", "5m")
	d, err := time.ParseDuration(ttl)
	switch {
	case err != nil:
		errs = append(errs, fmt.Sprintf("CHAT_SECRET_TTL %q: want a Go duration such as 5m", ttl))
	case d <= 0:
		errs = append(errs, fmt.Sprintf("CHAT_SECRET_TTL %q: must be positive", ttl))
	}
	c.SecretTTL = d
	if c.AuthMode != "iam" && c.AuthMode != "jwt" {
		errs = append(errs, fmt.Sprintf("HTTP_AUTH_MODE %q: want iam or jwt", c.AuthMode))
	}
	for k, v := range map[string]string{"RETRY_QUEUE_URL": c.RetryQueueURL, "DEAD_LETTER_QUEUE_URL": c.DeadLetterQueueURL} {
		if v != "" && !strings.HasPrefix(v, "https://") && !strings.HasPrefix(v, "http://") {
			errs = append(errs, fmt.Sprintf("%s %q: want a queue URL", k, v))
		}
	}
	if len(errs) > 0 {
		slices.Sort(errs)
		return c, errors.New("config: " + strings.Join(errs, "; "))
	}
	return c, nil
}
