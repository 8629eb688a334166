// Command naive is the benchmark's comparison point: the import function as
// one would first write it from Tencent's and AWS's examples. The
// configuration is read at init and the admin secret fetched there, once and
// synchronously, with the AWS SDK; every invocation signs a new UserSig and
// calls account_import with http.DefaultClient. Nothing overlaps.
//
// It takes the direct-invocation body {"UserID","Nick"?,"FaceUrl"?} and
// answers with Chat's envelope. It reads CHAT_SECRET_ID and CHAT_BASE_URL.
package main

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

type secret struct {
	SDKAppID        json.Number `json:"sdkAppId"`
	SecretKey       string      `json:"secretKey"`
	AdminIdentifier string      `json:"adminIdentifier"`
}

type account struct {
	UserID  string `json:"UserID"`
	Nick    string `json:"Nick,omitempty"`
	FaceURL string `json:"FaceUrl,omitempty"`
}

type envelope struct {
	ActionStatus string `json:"ActionStatus"`
	ErrorCode    int    `json:"ErrorCode"`
	ErrorInfo    string `json:"ErrorInfo"`
}

var (
	baseURL string
	appID   uint64
	key     string
	admin   string
)

func main() {
	ctx := context.Background()
	baseURL = os.Getenv("CHAT_BASE_URL")
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		log.Fatalf("load AWS config: %v", err)
	}
	sm := secretsmanager.NewFromConfig(cfg)
	out, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(os.Getenv("CHAT_SECRET_ID"))})
	if err != nil {
		log.Fatalf("get secret: %v", err)
	}
	var s secret
	if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &s); err != nil {
		log.Fatalf("decode secret: %v", err)
	}
	if appID, err = strconv.ParseUint(s.SDKAppID.String(), 10, 64); err != nil {
		log.Fatalf("sdkAppId: %v", err)
	}
	key, admin = s.SecretKey, s.AdminIdentifier
	if admin == "" {
		admin = "administrator"
	}
	lambda.Start(handle)
}

func handle(ctx context.Context, a account) (envelope, error) {
	sig := genUserSig(key, appID, admin, time.Now(), 24*60*60)
	u := fmt.Sprintf("%s/v4/im_open_login_svc/account_import?sdkappid=%d&identifier=%s&usersig=%s&random=%d&contenttype=json",
		baseURL, appID, url.QueryEscape(admin), sig, rand.Uint32())
	body, err := json.Marshal(a)
	if err != nil {
		return envelope{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return envelope{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL carries the UserSig
		}
		return envelope{}, fmt.Errorf("account_import: %w", err)
	}
	defer resp.Body.Close()
	var env envelope
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return envelope{}, fmt.Errorf("account_import: decode reply: %w", err)
	}
	return env, nil
}

// genUserSig signs as Tencent's reference library (tls-sig-api-v2-golang)
// does: HMAC-SHA256 over the content, the JSON document zlib-compressed at
// the default level, base64 with the URL-safe substitutions.
func genUserSig(key string, appID uint64, id string, now time.Time, expire int64) string {
	t := now.Unix()
	content := "TLS.identifier:" + id + "\n" + "TLS.sdkappid:" + strconv.FormatUint(appID, 10) + "\n" +
		"TLS.time:" + strconv.FormatInt(t, 10) + "\n" + "TLS.expire:" + strconv.FormatInt(expire, 10) + "\n"
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(content))
	doc, _ := json.Marshal(map[string]any{
		"TLS.ver": "2.0", "TLS.identifier": id, "TLS.sdkappid": appID, "TLS.expire": expire, "TLS.time": t,
		"TLS.sig": base64.StdEncoding.EncodeToString(h.Sum(nil)),
	})
	var b bytes.Buffer
	w := zlib.NewWriter(&b)
	w.Write(doc)
	w.Close()
	return strings.NewReplacer("+", "*", "/", "-", "=", "_").Replace(base64.StdEncoding.EncodeToString(b.Bytes()))
}
